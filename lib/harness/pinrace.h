/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What a test file declares and what its case body is handed.
 *
 * A test is data: its needs, its timeout, its commit tags and the axes it
 * runs over (backings x MR modes x layout operations x its own variants).
 * The harness expands the axes into cases, checks each case's needs by
 * trying the feature, forks the case into its own process group with a
 * timeout, scans the kernel log after it, applies the expectations file,
 * and reports TAP 13 plus one JSON line per case.
 */
#ifndef PINRACE_H
#define PINRACE_H

#include <stddef.h>
#include <stdint.h>

#include "judge.h"
#include "outcome.h"
#include "verify.h"
#include "needs.h"
#include "profile.h"

struct pr_backing;
struct pr_mr_mode;
struct pr_layout_op;

/* A test's own axis: one entry per variant, with extra needs. */
struct pr_variant {
	const char *name; /* NULL ends the table */
	unsigned int needs;
	const void *priv;
};

/* One expanded case. Axes a test does not use are NULL. */
struct pr_case {
	const struct pr_backing *backing;
	const struct pr_mr_mode *mr;
	const struct pr_layout_op *op;
	const struct pr_variant *variant;
	char name[128]; /* axis names joined by '/' */
};

/* What a case found; lives in memory shared with the harness. */
struct pr_result {
	enum pr_status status; /* PASS unless the body says otherwise */
	enum pr_finding finding;
	int err;     /* errno of the refused or failed call, 0 if none */
	char fs[32]; /* filesystem type of the backing, "" if none */
	char detail[512];
	struct pr_vreport vr;  /* block counts over the whole case */
	struct pr_evidence ev; /* what a race proved (lib/blocks/judge.h) */
	uint64_t seed;
	uint64_t ops;	    /* layout operations done */
	uint64_t xfers;	    /* RDMA transfers completed */
	uint64_t kmsg_seen; /* log records the body reported itself */
	/* a stuck call (finding "hang"), filled by the watchdog */
	char hang_op[128];     /* the call and its arguments */
	int hang_wait;	       /* seconds it had waited when found */
	char hang_release[32]; /* the release step that worked, or "none" */
	char stack[3072]; /* its kernel stack, wchan, state; other threads */
	/* past its timeout: SIGTERM if that ended it, SIGKILL if it had to
	 * follow after the grace period; 0 if the case ended by itself */
	int killed_by;
};

struct pr_ctx {
	const struct pr_test *test;
	const struct pr_case *cs;
	struct pr_result *res;
	const char *rdma_dev; /* NULL: the first device */
	const char *results;  /* run directory, for dumps; NULL: none */
	char dumpdir[512];    /* per case, created on first use */
	uint64_t seed;
	struct pr_profile prof;
};

/*
 * A self-test's verdict, declared in code: the cases whose names match
 * @cases must end as @outcome, an EXPECT word of tests/expectations.txt
 * ("error", "fail:cross-file", "fail:kernel-warning~TEXT").  The harness
 * turns that outcome into a pass and any other into a "selftest" failure
 * naming what was wanted (a skip stays a skip).
 */
struct pr_must {
	const char *cases; /* case-name glob, ksh alternatives; NULL ends */
	const char *outcome;
	int killed_by; /* and, if not 0, the signal that had to end it */
};

struct pr_test {
	const char *name;
	const char *desc;
	unsigned int needs;	 /* PR_NEED_* for every case */
	int timeout;		 /* seconds per case; 0: the profile's */
	const char *const *tags; /* "commit title" strings, NULL-ended */
	const struct pr_backing *const *backings; /* NULL-ended, or NULL */
	const struct pr_mr_mode *const *mrs;
	const struct pr_layout_op *const *ops;
	const struct pr_variant *variants;
	/*
	 * The suite's own checks (role "selftest" in the results, kept apart
	 * from what the kernel did) are every case of a test named
	 * "selftest-*" and, in other tests, the injection cases @musts names.
	 * A self-test case without a pr_must entry must pass.
	 */
	const struct pr_must *musts; /* NULL-ended on .cases, or NULL */
	/* the pin source of its cases that name none through an MR mode and
	 * need no RDMA device ("odirect", "cpu"); NULL: "none" */
	const char *source;
	void (*body)(struct pr_ctx *ctx, const struct pr_case *c,
		     struct pr_result *res);
};

int pr_main(const struct pr_test *t, int argc, char **argv);

#define PR_TEST_MAIN(t)                                                        \
	int main(int argc, char **argv)                                        \
	{                                                                      \
		return pr_main(&(t), argc, argv);                              \
	}

/*
 * Calls for case bodies.  pr_diag() prints a TAP diagnostic line.  The
 * others set the result and return, so a body can `return pr_skip(...)`.
 */
void pr_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void pr_fail(struct pr_result *r, enum pr_finding f, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void pr_skip(struct pr_result *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void pr_error(struct pr_result *r, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* A call the kernel refused: a protection, recorded with its errno. */
void pr_refused(struct pr_result *r, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Append to the detail text ("; "-separated). */
void pr_note(struct pr_result *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/*
 * Fold a verification report into the result: counts add up, and a bad
 * block makes the case fail with the most severe finding.
 */
void pr_result_verified(struct pr_result *r, const struct pr_vreport *vr,
			int zero_is_bad);
/* The case's dump directory (created on demand), or NULL. */
const char *pr_dumpdir(struct pr_ctx *ctx);

#endif
