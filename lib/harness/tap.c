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

/* Text on a TAP line: control characters (a newline would end the line)
 * as spaces, and '#' in a name as '_' (it would start a directive). */
static void print_text(const char *s, int is_name)
{
	for (; *s; s++) {
		unsigned char c = *s;

		putchar(c < 0x20 || c == 0x7f ? ' '
			: is_name && c == '#' ? '_'
					      : c);
	}
}

void pr_tap_result(struct pr_tap *t, const char *name, enum pr_status s,
		   const char *why, const char *yaml)
{
	static const char *const directive[PR_NSTATUS] = {
		[PR_PASS] = "",
		[PR_FAIL] = "",
		[PR_XFAIL] = " # TODO XFAIL:",
		[PR_XPASS] = " # TODO XPASS:",
		[PR_SKIP] = " # SKIP",
		[PR_ERROR] = "",
	};
	int ok = s == PR_PASS || s == PR_SKIP || s == PR_XPASS;
	int say = why && *why && s != PR_PASS && s != PR_FAIL;

	t->n++;
	t->count[s]++;
	printf("%s %d ", ok ? "ok" : "not ok", t->n);
	print_text(name, 1);
	printf("%s", directive[s]);
	if (say && s != PR_ERROR) {
		putchar(' ');
		print_text(why, 0);
	}
	printf("\n");
	if (yaml && *yaml)
		print_yaml(yaml);
	/* TAP has no error directive: the reason is a diagnostic line. */
	if (s == PR_ERROR) {
		printf("# error: ");
		print_text(say ? why : "(no reason given)", 0);
		printf("\n");
	}
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
