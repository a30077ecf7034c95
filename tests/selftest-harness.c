// SPDX-License-Identifier: GPL-2.0
/*
 * Description: the harness itself.  Each variant misbehaves in one way
 * (hangs past its timeout, crashes, exits early, ignores SIGTERM, skips
 * inside the body); the expectations file names the outcome each must end
 * in, so a harness that reported any of them as a pass shows up as an
 * unexpected result.
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

static const struct pr_test test = {
	.name = "selftest-harness",
	.desc = "harness: timeouts, crashes and skips are reported as such",
	.timeout = 2,
	.variants = variants,
	.body = body,
};

PR_TEST_MAIN(test)
