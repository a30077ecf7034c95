/* SPDX-License-Identifier: GPL-2.0 */
/* Expanding a test's axes into cases, and running one case isolated. */
#ifndef PR_CASES_H
#define PR_CASES_H

#include "pinrace.h"

/* All cases of @t, or NULL; *@n gets the count. Free with free(). */
struct pr_case *pr_cases_expand(const struct pr_test *t, int *n);
/* Every PR_NEED_* bit a case needs: the test's and its axes'. */
unsigned int pr_case_needs(const struct pr_test *t, const struct pr_case *c);
/* The case's pin source: its MR mode's; "rdma" for an MR mode naming none
 * or a case needing an RDMA device; else the test's, or "none". */
const char *pr_case_source(const struct pr_test *t, const struct pr_case *c);

/*
 * Fork the body into its own process group, wait up to @timeout seconds,
 * then SIGTERM the group, and SIGKILL it after a grace period.  @res must be
 * shared memory.  Returns 0, or -1 if the process could not even be reaped
 * (unkillable: it is left).
 */
int pr_case_run(struct pr_ctx *ctx, int timeout, struct pr_result *res);
/* "SIGTERM" or "SIGKILL" for a result's killed_by, NULL for 0. */
const char *pr_killed_by_name(int sig);
/* Called from a signal handler: kill the running case's group. */
void pr_case_interrupt(void);

#endif
