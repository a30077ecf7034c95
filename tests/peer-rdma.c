// SPDX-License-Identifier: GPL-2.0
/*
 * Description: the peer host of the two-host tests.  Runs on the second
 * machine, listens with rdma_cm, and for each connection does what the
 * test asks (lib/rdma/rproto.h): RDMA READs and WRITEs against the test's MR,
 * with the data staged in its own memory, so every byte crosses the link.
 * Not a test itself: setup/run/run-tests.sh must not run it.
 *
 *   peer-rdma --listen ADDR[:PORT] [--daemon] [--log FILE] [--pidfile FILE]
 *             [--idle SECONDS] [--once]
 *   peer-rdma --probe HOST[:PORT]
 *
 * One connection at a time; a connection idle for 10 minutes is dropped.
 * --idle: exit after that long without a connection (0: never).  --probe
 * connects to a peer the way a test does, says goodbye and prints who
 * answered (exit 0), or why nothing did (exit 1).  Run like a test binary
 * (no arguments, --info, --list) it says it has no cases.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rconn.h"
#include "rserve.h"

/*
 * Fork; the child goes on in a session of its own writing to @log, the
 * parent waits for its first word: "ok", or what went wrong.
 */
static int daemonize(const char *log, int *report)
{
	char buf[256] = "";
	int p[2], fd;
	pid_t pid;

	if (pipe(p))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid > 0) {
		close(p[1]);
		if (read(p[0], buf, sizeof(buf) - 1) <= 0)
			snprintf(buf, sizeof(buf), "the daemon died at once");
		if (strcmp(buf, "ok"))
			fprintf(stderr, "peer-rdma: %s\n", buf);
		exit(strcmp(buf, "ok") ? 1 : 0);
	}
	close(p[0]);
	for (fd = 3; fd < 1024; fd++) /* a caller's locks and pipes */
		if (fd != p[1])
			close(fd);
	setsid();
	fd = open(log ? log : "/dev/null", O_WRONLY | O_CREAT | O_APPEND, 0644);
	if (fd >= 0) {
		dup2(fd, 1), dup2(fd, 2);
		close(fd);
	}
	fd = open("/dev/null", O_RDONLY);
	if (fd >= 0)
		dup2(fd, 0), close(fd);
	*report = p[1];
	return 0;
}

static void tell(int report, const char *what)
{
	if (report < 0)
		return;
	if (write(report, what, strlen(what)) < 0)
		pr_rserve_say("telling the parent: %s", strerror(errno));
	close(report);
}

/* Connect as a test would, say goodbye, print who answered. */
static int probe(const char *peer)
{
	char err[256], dev[IBV_SYSFS_NAME_MAX];
	struct pr_rconn_stats st;
	struct pr_rdma r;
	struct pr_cm cm;
	int rc;

	rc = pr_cm_resolve(&cm, peer, 2000, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "peer-rdma: %s\n", err);
		pr_cm_close(&cm);
		return 1;
	}
	snprintf(dev, sizeof(dev), "%s",
		 ibv_get_device_name(cm.id->verbs->device));
	pr_rconn_arm(&cm, peer, dev, 5000);
	rc = pr_rdma_open(&r, dev, 0, err, sizeof(err));
	if (!rc)
		pr_rdma_close(&r);
	pr_rconn_disarm(&st);
	if (rc || !st.said_bye) {
		fprintf(stderr, "peer-rdma: peer %s: %s\n", peer,
			rc ? err : "connected, but no answer");
		return 1;
	}
	printf("peer %s answers: %s (from %s)\n", peer, st.bye.text, dev);
	return 0;
}

/* A test runner that takes this for a test hears that it has no cases. */
static int not_a_test(const char *opt)
{
	if (!strcmp(opt, "--info"))
		printf("name: peer-rdma\ndescription: the peer host program of the two-host tests, not a test\ncases: 0\n");
	else if (!opt[0])
		printf("TAP version 13\n1..0 # SKIP peer-rdma is the peer host program of the two-host tests, not a test\n");
	return 4; /* kselftest's skip */
}

static void usage(void)
{
	fprintf(stderr,
		"usage: peer-rdma --listen ADDR[:PORT] [--daemon] [--log FILE] [--pidfile FILE] [--idle SECONDS] [--once]\n"
		"       peer-rdma --probe HOST[:PORT]\n");
	exit(2);
}

/* Accept connections one at a time; with @idle, exit after that long idle. */
static int serve_forever(struct pr_cm *cm, int idle, int once)
{
	struct rdma_cm_event *ev;
	char err[256];

	for (;;) {
		struct pr_rserve c = {0};
		int rc = pr_cm_wait(cm->ec, RDMA_CM_EVENT_CONNECT_REQUEST,
				    idle ? idle * 1000 : -1, &ev, err,
				    sizeof(err));

		if (rc == -ETIMEDOUT) {
			pr_rserve_say("no connection for %d s: exiting", idle);
			return 0;
		}
		if (rc) {
			pr_rserve_say("%s", err);
			continue;
		}
		c.id = ev->id;
		rdma_ack_cm_event(ev);
		if (!pr_rserve_accept(&c, c.id))
			pr_rserve_run(&c);
		pr_rserve_drop(&c);
		if (once)
			return 0;
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"listen", 1, NULL, 'l'}, {"daemon", 0, NULL, 'd'},
		{"log", 1, NULL, 'L'},	  {"pidfile", 1, NULL, 'p'},
		{"idle", 1, NULL, 'i'},	  {"once", 0, NULL, 'o'},
		{"probe", 1, NULL, 'P'},  {}};
	const char *listen = NULL, *log = NULL, *pidfile = NULL;
	int daemon = 0, idle = 0, once = 0, report = -1, o, rc;
	struct pr_cm cm;
	char err[256];
	FILE *f;

	if (argc == 1 || (argc == 2 && (!strcmp(argv[1], "--info") ||
					!strcmp(argv[1], "--list"))))
		return not_a_test(argc == 1 ? "" : argv[1]);
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (o == 'l')
			listen = optarg;
		else if (o == 'd')
			daemon = 1;
		else if (o == 'L')
			log = optarg;
		else if (o == 'p')
			pidfile = optarg;
		else if (o == 'i')
			idle = atoi(optarg);
		else if (o == 'o')
			once = 1;
		else if (o == 'P')
			return probe(optarg);
		else
			usage();
	}
	if (!listen || optind != argc)
		usage();
	if (daemon && daemonize(log, &report)) {
		perror("peer-rdma: fork");
		return 1;
	}
	if (pr_cm_listen(&cm, listen, err, sizeof(err))) {
		pr_rserve_say("%s", err);
		tell(report, err);
		return 1;
	}
	f = pidfile ? fopen(pidfile, "we") : NULL;
	if (f)
		fprintf(f, "%d\n", getpid()), fclose(f);
	pr_rserve_say("listening on %s (protocol %d)", listen,
		      PR_RPROTO_VERSION);
	tell(report, "ok");
	rc = serve_forever(&cm, idle, once);
	pr_cm_close(&cm);
	return rc;
}
