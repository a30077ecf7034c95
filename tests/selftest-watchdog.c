// SPDX-License-Identifier: GPL-2.0
/*
 * Description: the watchdog finds a stuck call.  A worker blocks in a
 * read() of an empty pipe (a stand-in for a syscall that never returns by
 * itself, in an interruptible sleep like a DAX layout-break wait); the
 * watchdog must report a "hang" with the call, its wait, the thread's
 * kernel stack and wchan, and release it by signal after the earlier
 * steps (stop traffic, and no mapping or MR to drop here) did not.  The
 * case must end as fail:hang; a missing stack or a wrong release step is
 * an error, which is never what it wants.
 */
#include <errno.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "watchdog.h"

struct blocker {
	struct pr_worker w;
	int fd;
	int err; /* errno of the read when it returned */
};

static void *block_in_read(void *arg)
{
	struct blocker *b = arg;
	char c;

	b->w.tid = syscall(SYS_gettid);
	pr_worker_enter(&b->w, "read(empty pipe)", 0, 1);
	if (read(b->fd, &c, 1) < 0)
		b->err = errno;
	pr_worker_leave(&b->w);
	return NULL;
}

static void body(struct pr_ctx *ctx, const struct pr_case *c,
		 struct pr_result *res)
{
	struct blocker b = {.w = {.name = "blocker"}};
	_Atomic int stop = 1; /* no traffic: the bound counts from now */
	pthread_t t;
	struct pr_watchdog wd = {.w = &b.w,
				 .threads = &t,
				 .nw = 1,
				 .bound = 2,
				 .stop = &stop,
				 .res = res};
	int p[2];

	(void)ctx;
	(void)c;
	if (pipe(p))
		return pr_error(res, errno, "pipe: %s", strerror(errno));
	b.fd = p[0];
	pr_watchdog_signal_setup();
	if (pthread_create(&t, NULL, block_in_read, &b))
		return pr_error(res, 0, "pthread_create failed");
	if (pr_watchdog_start(&wd))
		return pr_error(res, 0, "starting the watchdog failed");
	while (!res->hang_release[0]) /* the watchdog stops after one */
		usleep(100 * 1000);
	pr_watchdog_stop(&wd);
	pthread_join(t, NULL);
	if (res->finding != PR_F_HANG || strcmp(res->hang_release, "signal") ||
	    b.err != EINTR)
		pr_error(
			res, 0,
			"watchdog: finding %s, released by '%s', read errno %d",
			pr_finding_name(res->finding), res->hang_release,
			b.err);
	else if (!strstr(res->stack, "wchan") || !strstr(res->stack, "tid"))
		pr_error(res, 0, "the hang report lacks the thread's wchan: %s",
			 res->stack);
	close(p[0]);
	close(p[1]);
}

static const struct pr_variant variants[] = {{"pipe-read", 0, NULL}, {}};
static const struct pr_must musts[] = {{"pipe-read", "fail:hang", 0}, {}};

static const struct pr_test test = {
	.name = "selftest-watchdog",
	.desc = "watchdog: a call stuck in read() is found, described and released",
	.timeout = 60,
	.variants = variants,
	.musts = musts,
	.body = body,
};

PR_TEST_MAIN(test)
