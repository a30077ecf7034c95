/* SPDX-License-Identifier: GPL-2.0 */
/*
 * TAP 13 output (Debian 12's prove rejects version 14) and kselftest exit
 * codes.  XFAIL and XPASS are written as TODO directives, which every TAP
 * consumer understands; the status word is kept in the description.
 */
#ifndef PR_TAP_H
#define PR_TAP_H

#include "outcome.h"

enum {
	KSFT_PASS = 0,
	KSFT_FAIL = 1,
	KSFT_XFAIL = 2,
	KSFT_XPASS = 3,
	KSFT_SKIP = 4
};

struct pr_tap {
	int n; /* results written so far */
	int count[PR_NSTATUS];
};

void pr_tap_begin(struct pr_tap *t, int plan);
/*
 * One result line.  @why is the SKIP/TODO/error reason (may be NULL);
 * @yaml, when not NULL, is a block of "key: value" lines indented into a
 * YAML diagnostic after the line.
 */
void pr_tap_result(struct pr_tap *t, const char *name, enum pr_status s,
		   const char *why, const char *yaml);
/* "# Totals: ..." and the kselftest exit code for the whole run. */
int pr_tap_end(struct pr_tap *t);

#endif
