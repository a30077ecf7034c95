// SPDX-License-Identifier: GPL-2.0
/*
 * Description: the kernel-log detector catches what it must and nothing
 * else.  Each variant writes one line to /dev/kmsg and scans for it: the
 * lines of concern (WARNING, BUG, Oops, KASAN, ...) must be found, an
 * ordinary line must not.  The "unclaimed" variant leaves its WARNING for
 * the harness's own per-case scan and declares that it must end as a
 * kernel-warning failure naming that line, so a harness that missed it
 * fails the self-test.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kmsg.h"
#include "pinrace.h"

struct inject {
	const char *line; /* %d: our pid */
	int bad;	  /* the detector must flag it */
	int claim; /* the body reports it itself (the harness skips it) */
};

#define V(n, l, b, c)                                                          \
	{                                                                      \
		n, PR_NEED_ROOT | PR_NEED_KMSG, &(const struct inject)         \
		{                                                              \
			l, b, c                                                \
		}                                                              \
	}
static const struct pr_variant variants[] = {
	V("warning",
	  "WARNING: CPU: 0 PID: %d at pinrace/selftest.c:1 injected+0x0/0x10",
	  1, 1),
	V("bug", "BUG: unable to handle page fault (pinrace selftest %d)", 1,
	  1),
	V("oops", "Oops: 0002 [#1] PREEMPT SMP (pinrace selftest %d)", 1, 1),
	V("kasan", "BUG: KASAN: use-after-free in pinrace_selftest_%d", 1, 1),
	V("dma-api",
	  "DMA-API: cpu touching an active dma mapped page (pinrace %d)", 1, 1),
	V("hung-task",
	  "INFO: task pinrace:%d blocked for more than 120 seconds.", 1, 1),
	V("rcu-stall",
	  "rcu: INFO: rcu_preempt detected stalls on CPUs/tasks (pinrace %d)",
	  1, 1),
	V("lockdep",
	  "WARNING: possible circular locking dependency detected (pinrace %d)",
	  1, 1),
	V("ordinary-line", "pinrace: selftest %d, an ordinary line", 0, 1),
	V("unclaimed",
	  "WARNING: CPU: 0 PID: %d at pinrace/selftest.c:2 unclaimed+0x0/0x10",
	  1, 0),
	{}};

static void body(struct pr_ctx *ctx, const struct pr_case *c,
		 struct pr_result *res)
{
	const struct inject *in = c->variant->priv;
	struct pr_kmsg k;
	char found[2048] = "", line[256];
	uint64_t last = 0;
	int n, rc;

	(void)ctx;
	rc = pr_kmsg_open(&k);
	if (rc)
		return pr_error(res, -rc, "opening /dev/kmsg: %s",
				strerror(-rc));
	snprintf(line, sizeof(line), in->line, getpid());
	rc = pr_kmsg_write("%s", line);
	if (rc) {
		pr_kmsg_close(&k);
		return pr_error(res, -rc, "writing /dev/kmsg: %s",
				strerror(-rc));
	}
	n = pr_kmsg_scan(&k, 0, found, sizeof(found), &last);
	pr_kmsg_close(&k);
	if (in->claim)
		res->kmsg_seen = last;
	if (in->bad && (n < 1 || !strstr(found, line)))
		return pr_fail(res, PR_F_SELFTEST,
			       "injected line not caught: %s", line);
	if (!in->bad && n)
		return pr_fail(res, PR_F_SELFTEST, "ordinary line flagged: %s",
			       found);
	pr_note(res, "%s", in->bad ? "caught" : "not flagged");
}

/* the harness's scan must turn the unclaimed WARNING into a finding */
static const struct pr_must musts[] = {
	{"unclaimed", "fail:kernel-warning~unclaimed+0x0/0x10", 0},
	{},
};

static const struct pr_test test = {
	.name = "selftest-kmsg",
	.desc = "kernel-log detector: injected lines are caught, others not",
	.timeout = 30,
	.variants = variants,
	.musts = musts,
	.body = body,
};

PR_TEST_MAIN(test)
