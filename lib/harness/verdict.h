/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Self-test verdicts and roles: which cases check the suite itself, and
 * how the outcome a self-test declared (struct pr_must) becomes a pass.
 */
#ifndef PR_VERDICT_H
#define PR_VERDICT_H

#include <stddef.h>

#include "pinrace.h"

enum pr_role {
	PR_ROLE_KERNEL,	  /* what the kernel did */
	PR_ROLE_SELFTEST, /* the suite checking itself: injected faults */
};

const char *pr_role_name(enum pr_role r);
/* The first pr_must of @t naming case @cs, or NULL. */
const struct pr_must *pr_must_find(const struct pr_test *t, const char *cs);
enum pr_role pr_case_role(const struct pr_test *t, const struct pr_case *c);
/* 0 if every pr_must of @t declares an outcome, else -1 and a message. */
int pr_musts_check(const struct pr_test *t, char *err, size_t len);
/*
 * Judge a finished case that has a pr_must (@kmsg: its kernel-log lines):
 * the outcome it declared becomes a pass; any other but a skip or a broken
 * setup (error) is a "selftest" failure naming what was wanted.  Cases
 * without one are left alone: they must pass.
 */
void pr_verdict_apply(const struct pr_test *t, const struct pr_case *c,
		      struct pr_result *res, const char *kmsg);

#endif
