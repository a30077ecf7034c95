// SPDX-License-Identifier: GPL-2.0
/* Self-test verdicts declared in code, and each case's role. */
#include <fnmatch.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cases.h"
#include "expect.h"
#include "verdict.h"

const char *pr_role_name(enum pr_role r)
{
	return r == PR_ROLE_SELFTEST ? "selftest" : "kernel";
}

const struct pr_must *pr_must_find(const struct pr_test *t, const char *cs)
{
	for (const struct pr_must *m = t->musts; m && m->cases; m++)
		if (!fnmatch(m->cases, cs, FNM_EXTMATCH))
			return m;
	return NULL;
}

enum pr_role pr_case_role(const struct pr_test *t, const struct pr_case *c)
{
	return !strncmp(t->name, "selftest-", 9) || pr_must_find(t, c->name)
		       ? PR_ROLE_SELFTEST
		       : PR_ROLE_KERNEL;
}

static int parse_must(const struct pr_must *m, struct pr_expectation *want)
{
	memset(want, 0, sizeof(*want));
	return m->outcome && !pr_outcome_parse(want, m->outcome) &&
			       !want->intermittent
		       ? 0
		       : -1;
}

int pr_musts_check(const struct pr_test *t, char *err, size_t len)
{
	struct pr_expectation want;

	for (const struct pr_must *m = t->musts; m && m->cases; m++) {
		if (parse_must(m, &want) ||
		    (m->killed_by && m->killed_by != SIGTERM &&
		     m->killed_by != SIGKILL)) {
			snprintf(
				err, len,
				"the verdict for cases '%s' is '%s': want error or fail[:FINDING][~TEXT], killed by 0, SIGTERM or SIGKILL",
				m->cases, m->outcome ? m->outcome : "(none)");
			return -1;
		}
	}
	return 0;
}

/* "error after SIGKILL", "fail:pin-leak", "pass" */
static void outcome_words(char *buf, size_t len, const char *outcome,
			  int killed_by)
{
	snprintf(buf, len, "%s%s%s", outcome, killed_by ? " after " : "",
		 killed_by ? pr_killed_by_name(killed_by) : "");
}

void pr_verdict_apply(const struct pr_test *t, const struct pr_case *c,
		      struct pr_result *res, const char *kmsg)
{
	const struct pr_must *m = pr_must_find(t, c->name);
	char wanted[96], got[96], seen[64];
	struct pr_expectation want;

	if (!m || res->status == PR_SKIP)
		return;	      /* nothing declared: it must pass, as any case */
	parse_must(m, &want); /* checked by pr_musts_check() at start */
	outcome_words(wanted, sizeof(wanted), m->outcome, m->killed_by);
	snprintf(seen, sizeof(seen), "%s%s%s", pr_status_name(res->status),
		 res->finding != PR_F_NONE ? ":" : "",
		 res->finding != PR_F_NONE ? pr_finding_name(res->finding)
					   : "");
	outcome_words(got, sizeof(got), seen, res->killed_by);
	if (pr_outcome_matches(&want, res->status, res->finding, kmsg) &&
	    (!m->killed_by || m->killed_by == res->killed_by)) {
		res->status = PR_PASS;
		pr_note(res, "self-test ended as it must: %s", got);
		return;
	}
	if (res->status == PR_ERROR && want.status != PR_ERROR) {
		pr_note(res, "self-test wanted %s", wanted);
		return; /* broken setup: the detector was never tried */
	}
	res->status = PR_FAIL;
	res->finding = PR_F_SELFTEST;
	pr_note(res, "self-test wanted %s, got %s", wanted, got);
}
