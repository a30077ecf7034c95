/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A finished case, written two ways: the YAML block under its TAP line
 * and one JSON object in results.jsonl.
 */
#ifndef PR_REPORT_H
#define PR_REPORT_H

#include <stddef.h>

#include "pinrace.h"

struct pr_expectation;

struct pr_case_report {
	const char *kernel;
	const char *device; /* RDMA device, "" if none */
	const char *test;
	const struct pr_case *cs;
	const struct pr_result *res;
	const char *why;		     /* skip/error reason, or "" */
	const struct pr_expectation *expect; /* matched line, or NULL */
	const char *kmsg; /* kernel-log lines, '\n'-separated, or "" */
	long duration_ms;
	uint64_t run_seed; /* --seed that replays this case */
	const char *role;  /* "selftest" or "kernel" */
	const char *source; /* the pin source (pr_case_source()) */
};

/* YAML lines (unindented, '\n'-separated) into @buf. */
void pr_report_yaml(const struct pr_case_report *r, char *buf, size_t len);
/* One JSON line appended to @path (O_APPEND, one write). 0 or -errno. */
int pr_report_jsonl(const struct pr_case_report *r, const char *path);

#endif
