// SPDX-License-Identifier: GPL-2.0
/* TAP 13 writer: plan, results, YAML diagnostics, totals, exit code. */
#include <stdio.h>
#include <string.h>

#include "tap.h"

void pr_tap_begin(struct pr_tap *t, int plan)
{
	memset(t, 0, sizeof(*t));
	printf("TAP version 13\n1..%d\n", plan);
	fflush(stdout);
}

static void print_yaml(const char *yaml)
{
	const char *p = yaml;

	printf("  ---\n");
	while (*p) {
		const char *nl = strchr(p, '\n');
		int len = nl ? (int)(nl - p) : (int)strlen(p);

		printf("  %.*s\n", len, p);
		p += len + (nl ? 1 : 0);
	}
	printf("  ...\n");
}

void pr_tap_result(struct pr_tap *t, const char *name, enum pr_status s,
		   const char *why, const char *yaml)
{
	static const char *const directive[PR_NSTATUS] = {
		[PR_PASS] = "",		[PR_FAIL] = "",
		[PR_XFAIL] = " # TODO", [PR_XPASS] = " # TODO",
		[PR_SKIP] = " # SKIP",	[PR_ERROR] = " # error:",
	};
	int ok = s == PR_PASS || s == PR_SKIP || s == PR_XPASS;

	t->n++;
	t->count[s]++;
	printf("%s %d %s%s", ok ? "ok" : "not ok", t->n, name, directive[s]);
	if (s == PR_XFAIL || s == PR_XPASS)
		printf(" %s:", s == PR_XFAIL ? "XFAIL" : "XPASS");
	if (why && *why && s != PR_PASS && s != PR_FAIL)
		printf(" %s", why);
	printf("\n");
	if (yaml && *yaml)
		print_yaml(yaml);
	fflush(stdout);
}

int pr_tap_end(struct pr_tap *t)
{
	const int *c = t->count;

	printf("# Totals: pass:%d fail:%d xfail:%d xpass:%d skip:%d error:%d\n",
	       c[PR_PASS], c[PR_FAIL], c[PR_XFAIL], c[PR_XPASS], c[PR_SKIP],
	       c[PR_ERROR]);
	fflush(stdout);
	if (c[PR_FAIL] || c[PR_ERROR])
		return KSFT_FAIL;
	if (c[PR_XPASS])
		return KSFT_XPASS;
	if (c[PR_PASS])
		return KSFT_PASS;
	if (c[PR_XFAIL])
		return KSFT_XFAIL;
	return KSFT_SKIP;
}
