// SPDX-License-Identifier: GPL-2.0
/* Two hosts: find the peer, enter its namespace, count what the link carried.
 */
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <libgen.h>
#include <limits.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rconn.h"
#include "remote.h"

struct link_stats {
	unsigned long long rx_bytes, rx_pkts, tx_bytes, tx_pkts;
};

static struct {
	char peer[256], dev[IBV_SYSFS_NAME_MAX], netdev[IF_NAMESIZE];
	int must_cross; /* $PINRACE_PEER_NETDEV named the link */
	struct link_stats before;
} rm;

/* A netdev's counters from /proc/net/dev (this namespace's).  0 or -1. */
static int link_read(const char *netdev, struct link_stats *s)
{
	char line[512], name[IF_NAMESIZE + 1];
	FILE *f = fopen("/proc/net/dev", "re");
	int rc = -1;

	while (f && rc && fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');

		if (!colon || sscanf(line, " %16[^:]", name) != 1 ||
		    strcmp(name, netdev))
			continue;
		if (sscanf(colon + 1,
			   "%llu %llu %*u %*u %*u %*u %*u %*u %llu %llu",
			   &s->rx_bytes, &s->rx_pkts, &s->tx_bytes,
			   &s->tx_pkts) == 4)
			rc = 0;
	}
	if (f)
		fclose(f);
	return rc;
}

/* The interface that holds the route's source address, or "". */
static void local_netdev(const struct sockaddr *sa, char *name)
{
	const struct sockaddr_in *a4 = (const void *)sa;
	const struct sockaddr_in6 *a6 = (const void *)sa;
	struct ifaddrs *all, *i;

	name[0] = '\0';
	if (getifaddrs(&all))
		return;
	for (i = all; i && !name[0]; i = i->ifa_next) {
		const struct sockaddr_in *b4 = (const void *)i->ifa_addr;
		const struct sockaddr_in6 *b6 = (const void *)i->ifa_addr;

		if (!i->ifa_addr || i->ifa_addr->sa_family != sa->sa_family)
			continue;
		if (sa->sa_family == AF_INET
			    ? a4->sin_addr.s_addr == b4->sin_addr.s_addr
			    : !memcmp(&a6->sin6_addr, &b6->sin6_addr, 16))
			snprintf(name, IF_NAMESIZE, "%s", i->ifa_name);
	}
	freeifaddrs(all);
}

/* KEY=VALUE lines of setup/guest/twohost.sh up go into the environment. */
static int twohost_up(struct pr_result *res)
{
	char exe[PATH_MAX], cmd[PATH_MAX + 64], line[512], last[256] = "";
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	FILE *p;
	int st;

	if (n <= 0)
		return pr_error(res, errno, "readlink /proc/self/exe"), -1;
	exe[n] = '\0';
	/* build/tests/BIN -> the project's setup/ */
	snprintf(cmd, sizeof(cmd), "bash %s/../../setup/guest/twohost.sh up 2>&1",
		 dirname(exe));
	p = popen(cmd, "re");
	if (!p)
		return pr_error(res, errno, "running %s", cmd), -1;
	while (fgets(line, sizeof(line), p)) {
		char *eq = strchr(line, '=');

		line[strcspn(line, "\n")] = '\0';
		if (!strncmp(line, "PINRACE_", 8) && eq) {
			*eq = '\0';
			setenv(line, eq + 1, 1);
		} else if (*line) {
			snprintf(last, sizeof(last), "%.200s", line);
		}
	}
	st = pclose(p);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 4) /* this kernel cannot */
		return pr_skip(res, "no two hosts in this guest: %s", last), -1;
	if (st)
		return pr_error(res, 0,
				"setup/guest/twohost.sh up failed (status %d): %s",
				st, last),
		       -1;
	return 0;
}

static int find_peer(struct pr_result *res)
{
	const char *peer = getenv("PINRACE_PEER");
	const char *vm = getenv("PINRACE_IN_VM");

	if ((!peer || !*peer) && vm && !strcmp(vm, "1")) {
		if (twohost_up(res))
			return -1;
		peer = getenv("PINRACE_PEER");
	}
	if (!peer || !*peer) {
		pr_skip(res,
			"no peer host: set PINRACE_PEER=HOST[:PORT] (or --peer) to a machine running build/tests/peer-rdma --listen ADDR");
		return -1;
	}
	snprintf(rm.peer, sizeof(rm.peer), "%s", peer);
	return 0;
}

static int enter_netns(struct pr_result *res)
{
	const char *ns = getenv("PINRACE_NETNS");
	char path[300];
	int fd;

	if (!ns || !*ns)
		return 0;
	snprintf(path, sizeof(path), "/run/netns/%s", ns);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, CLONE_NEWNET)) {
		pr_error(res, errno, "entering network namespace %s: %s", ns,
			 strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* The device the route uses must be the one the run names, on a lab host. */
static int check_device(struct pr_ctx *ctx, struct pr_result *res)
{
	const char *named = ctx->rdma_dev;

	/* In the guest's two hosts the first namespace has its own link:
	 * $PINRACE_RDMA_DEV names the loopback device of the other tests. */
	if (!named || !strcmp(named, rm.dev) ||
	    (getenv("PINRACE_NETNS") && *getenv("PINRACE_NETNS")))
		return 0;
	pr_error(
		res, 0,
		"the peer %s is reached through %s, not PINRACE_RDMA_DEV=%s: name that device or another peer address",
		rm.peer, rm.dev, named);
	return -1;
}

int pr_remote_begin(struct pr_ctx *ctx, struct pr_result *res)
{
	const char *nd = getenv("PINRACE_PEER_NETDEV");
	struct pr_cm cm;
	char err[256];
	int rc;

	memset(&rm, 0, sizeof(rm));
	if (find_peer(res) || enter_netns(res))
		return -1;
	rc = pr_cm_resolve(&cm, rm.peer, 2000, err, sizeof(err));
	if (rc) {
		pr_cm_close(&cm);
		pr_error(res, -rc, "peer %s: %s", rm.peer, err);
		return -1;
	}
	snprintf(rm.dev, sizeof(rm.dev), "%s",
		 ibv_get_device_name(cm.id->verbs->device));
	if (nd && *nd) {
		snprintf(rm.netdev, sizeof(rm.netdev), "%s", nd);
		rm.must_cross = 1;
	} else {
		local_netdev(rdma_get_local_addr(cm.id), rm.netdev);
	}
	if (check_device(ctx, res)) {
		pr_cm_close(&cm);
		return -1;
	}
	if (rm.netdev[0] && link_read(rm.netdev, &rm.before) && rm.must_cross) {
		pr_cm_close(&cm);
		pr_error(res, ENODEV, "no counters for link %s", rm.netdev);
		return -1;
	}
	ctx->rdma_dev = rm.dev;
	pr_diag("peer %s through %s%s%s", rm.peer, rm.dev,
		rm.netdev[0] ? "/" : "", rm.netdev);
	pr_rconn_arm(&cm, rm.peer, rm.dev, ctx->prof.cqe_timeout_ms);
	return 0;
}

/* What the link carried; an error when it carried less than the peer moved. */
static void judge_link(struct pr_result *res, uint64_t moved)
{
	struct link_stats a;
	unsigned long long bytes;

	if (!rm.netdev[0] || link_read(rm.netdev, &a))
		return;
	bytes = a.rx_bytes - rm.before.rx_bytes + a.tx_bytes -
		rm.before.tx_bytes;
	pr_note(res,
		"link %s: tx %llu packets %llu bytes, rx %llu packets %llu bytes",
		rm.netdev, a.tx_pkts - rm.before.tx_pkts,
		a.tx_bytes - rm.before.tx_bytes, a.rx_pkts - rm.before.rx_pkts,
		a.rx_bytes - rm.before.rx_bytes);
	if (rm.must_cross && bytes < moved)
		pr_error(
			res, 0,
			"the transfers did not cross %s: it carried %llu bytes, the peer moved %llu",
			rm.netdev, bytes, (unsigned long long)moved);
}

void pr_remote_end(struct pr_ctx *ctx, struct pr_result *res)
{
	struct pr_rconn_stats st;

	(void)ctx;
	pr_rconn_disarm(&st);
	if (!st.ops)
		return;
	pr_note(res,
		"from %s to peer %s (%s): %llu transfers, %llu bytes across (peer: %llu RDMA READs, %llu RDMA WRITEs, %llu bytes)",
		rm.dev, rm.peer, st.said_bye ? st.bye.text : "no goodbye",
		(unsigned long long)st.ops, (unsigned long long)st.bytes,
		(unsigned long long)st.bye.reads,
		(unsigned long long)st.bye.writes,
		(unsigned long long)st.bye.bytes);
	if (st.said_bye && st.bye.bytes != st.bytes)
		pr_error(
			res, 0,
			"the peer counted %llu bytes, this side asked for %llu",
			(unsigned long long)st.bye.bytes,
			(unsigned long long)st.bytes);
	judge_link(res, st.bytes);
}
