// SPDX-License-Identifier: GPL-2.0
/*
 * Description: the harness itself.  Each variant misbehaves in one way
 * (hangs past its timeout, crashes, exits early, ignores SIGTERM, skips
 * inside the body) and declares the outcome it must end in: a harness
 * that reported any of them as a pass, or did not escalate from SIGTERM
 * to SIGKILL for the case that ignores SIGTERM, fails the self-test.
 */
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "pinrace.h"

enum misbehave { HANG, CRASH, EXIT, STUBBORN, SKIP_IN_BODY, FINE };

#define V(n, m)                                                                \
	{                                                                      \
		n, 0, &(const enum misbehave)                                  \
		{                                                              \
			m                                                      \
		}                                                              \
	}
static const struct pr_variant variants[] = {V("timeout", HANG),
					     V("crash", CRASH),
					     V("early-exit", EXIT),
					     V("ignores-sigterm", STUBBORN),
					     V("skip", SKIP_IN_BODY),
					     V("pass", FINE),
					     {}};

static void body(struct pr_ctx *ctx, const struct pr_case *c,
		 struct pr_result *res)
{
	(void)ctx;
	switch (*(const enum misbehave *)c->variant->priv) {
	case HANG:
		pause();
		break;
	case CRASH:
		raise(SIGSEGV);
		break;
	case EXIT:
		exit(3);
	case STUBBORN:
		signal(SIGTERM, SIG_IGN);
		pause();
		break;
	case SKIP_IN_BODY:
		pr_skip(res, "the body found a piece missing");
		break;
	case FINE:
		break;
	}
}

/* How each misbehaving case must end; "skip" and "pass" end as they say. */
static const struct pr_must musts[] = {
	/* SIGTERM's default action ends it: no SIGKILL needed */
	{"timeout", "error", SIGTERM},
	{"crash", "error", 0},
	{"early-exit", "error", 0},
	/* SIGTERM ignored: SIGKILL after the grace period */
	{"ignores-sigterm", "error", SIGKILL},
	{},
};

static const struct pr_test test = {
	.name = "selftest-harness",
	.desc = "harness: timeouts, crashes and skips are reported as such",
	.timeout = 2,
	.variants = variants,
	.musts = musts,
	.body = body,
};

PR_TEST_MAIN(test)
