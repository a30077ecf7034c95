/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The expectations file: known per-kernel behaviour, one line each,
 *
 *   KERNEL  TEST  CASE  EXPECT  COMMIT  REASON...
 *
 * KERNEL is "*", a glob on the release ("6.1.*"), or comparisons joined
 * by ',' (">=5.11,<6.5"), optionally followed by "@GLOB" on the RDMA
 * device name (">=6.15@rxe*") for behaviour of one driver.  TEST and CASE
 * are globs with ksh alternatives ("@(xfs|btrfs)/pinned-ro/punch-hole"). EXPECT
 * is "fail" or "error", optionally with the finding ("fail:stale-read",
 * or one of several: "fail:cross-file|access-error").
 * A failure that matches becomes XFAIL with the reason and commit; a pass
 * that matches an expected failure becomes XPASS: both are reported, only
 * XFAIL is quiet.  "intermittent[:FINDING]" is a failure a race shows in
 * some runs only: when it shows it is XFAIL, when it does not the pass
 * stays a pass (the line is still named in the results).  "~TEXT" after
 * the finding ("fail:kernel-warning~dax_disassociate_entry") also wants
 * TEXT in the case's kernel-log lines: a known WARN, not any WARN.
 */
#ifndef PR_EXPECT_H
#define PR_EXPECT_H

#include <stddef.h>

#include "outcome.h"

struct pr_expectation {
	char kernel[64];
	char test[64];
	char cs[256];
	enum pr_status status;
	unsigned int findings; /* 1 << finding, "a|b": either; 0: any */
	int intermittent;      /* a pass is no news either */
	char kmsg[96]; /* "": any kernel log; else text it must contain */
	char commit[32];
	char reason[400];
};

struct pr_expectations {
	struct pr_expectation *e;
	int n;
};

/*
 * One EXPECT word ("fail:stale-read|zero~TEXT", "error", "intermittent:hang")
 * into @e's status, findings, kmsg and intermittent: 0, or -1 if it is not
 * one.  The same words declare a self-test's verdict (struct pr_must).
 */
int pr_outcome_parse(struct pr_expectation *e, const char *word);
/* 1 if status @s, finding @f and kernel-log lines @kmsg are what @e says. */
int pr_outcome_matches(const struct pr_expectation *e, enum pr_status s,
		       enum pr_finding f, const char *kmsg);
/* Load @path; 0, or -1 with a message naming the file and line. */
int pr_expect_load(struct pr_expectations *x, const char *path, char *err,
		   size_t len);
void pr_expect_free(struct pr_expectations *x);
/* 1 if @release matches the KERNEL pattern @pat. */
int pr_kernel_match(const char *pat, const char *release);
/* @env is "release" or "release@device"; patterns likewise. */
const struct pr_expectation *pr_expect_find(const struct pr_expectations *x,
					    const char *env, const char *test,
					    const char *cs);
/*
 * Apply the expectations naming the case to its outcome (@kmsg: its
 * kernel-log lines, or NULL).  Returns the
 * new status and points *@why at the line behind it (or NULL): the first
 * line that explains a failure, else the one a pass contradicts.
 */
enum pr_status pr_expect_apply(const struct pr_expectations *x, const char *env,
			       const char *test, const char *cs,
			       enum pr_status s, enum pr_finding f,
			       const char *kmsg,
			       const struct pr_expectation **why);

#endif
