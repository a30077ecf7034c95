// SPDX-License-Identifier: GPL-2.0
/* Expectations file: parsing, kernel-version matching, applying. */
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expect.h"

/* "6.12.38+deb13-amd64" -> 6*1e6 + 12*1e3 + 38 */
static long kver_num(const char *s)
{
	long part[3] = {0, 0, 0};
	char *end;

	for (int i = 0; i < 3; i++) {
		part[i] = strtol(s, &end, 10);
		if (end == s || *end != '.')
			break;
		s = end + 1;
	}
	return part[0] * 1000000 + part[1] * 1000 + part[2];
}

static int cmp_match(const char *term, const char *release)
{
	long have = kver_num(release), want;
	const char *v = term;
	int op = 0; /* 0 '=', 1 '<', 2 '<=', 3 '>', 4 '>=' */

	if (*v == '<' || *v == '>') {
		op = *v == '<' ? 1 : 3;
		v++;
		if (*v == '=') {
			op++;
			v++;
		}
	} else if (*v == '=') {
		v++;
	}
	want = kver_num(v);
	switch (op) {
	case 1:
		return have < want;
	case 2:
		return have <= want;
	case 3:
		return have > want;
	case 4:
		return have >= want;
	}
	return have == want;
}

int pr_kernel_match(const char *pat, const char *release)
{
	char buf[64], *save = NULL, *term;

	if (!strchr("<>=", pat[0]))
		return fnmatch(pat, release, 0) == 0;
	snprintf(buf, sizeof(buf), "%s", pat);
	for (term = strtok_r(buf, ",", &save); term;
	     term = strtok_r(NULL, ",", &save))
		if (!cmp_match(term, release))
			return 0;
	return 1;
}

int pr_outcome_parse(struct pr_expectation *e, const char *word)
{
	char buf[128], *colon, *tilde;
	int s;

	snprintf(buf, sizeof(buf), "%s", word);
	tilde = strchr(buf, '~');
	if (tilde) {
		*tilde++ = '\0';
		if (!*tilde)
			return -1;
		snprintf(e->kmsg, sizeof(e->kmsg), "%s", tilde);
	}
	colon = strchr(buf, ':');
	if (colon)
		*colon++ = '\0';
	e->intermittent = !strcmp(buf, "intermittent");
	s = e->intermittent ? PR_FAIL : pr_status_from_name(buf);
	if (s != PR_FAIL && s != PR_ERROR)
		return -1;
	e->status = s;
	e->findings = 0; /* any */
	for (char *save = NULL,
		  *name = colon ? strtok_r(colon, "|", &save) : NULL;
	     name; name = strtok_r(NULL, "|", &save)) {
		int f = pr_finding_from_name(name);

		if (f < 0)
			return -1;
		e->findings |= 1u << f;
	}
	return colon && !e->findings ? -1 : 0;
}

static int parse_line(struct pr_expectation *e, char *line)
{
	char expect[128];
	int pos = 0;

	memset(e, 0, sizeof(*e));
	if (sscanf(line, "%63s %63s %255s %127s %31s %n", e->kernel, e->test,
		   e->cs, expect, e->commit, &pos) < 5 ||
	    !pos)
		return -1;
	snprintf(e->reason, sizeof(e->reason), "%s", line + pos);
	e->reason[strcspn(e->reason, "\n")] = '\0';
	if (!e->reason[0])
		return -1;
	return pr_outcome_parse(e, expect);
}

int pr_expect_load(struct pr_expectations *x, const char *path, char *err,
		   size_t len)
{
	char line[1024];
	int lineno = 0;
	FILE *f;

	memset(x, 0, sizeof(*x));
	f = fopen(path, "re");
	if (!f) {
		snprintf(err, len, "cannot open expectations file %s", path);
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		char *p = line + strspn(line, " \t");
		struct pr_expectation *grown;

		lineno++;
		if (!strchr(line, '\n') && !feof(f)) {
			snprintf(err, len, "%s:%d: line longer than %zu bytes",
				 path, lineno, sizeof(line) - 1);
			fclose(f);
			pr_expect_free(x);
			return -1;
		}
		if (*p == '#' || *p == '\n' || !*p)
			continue;
		grown = realloc(x->e, (x->n + 1) * sizeof(*x->e));
		if (!grown)
			break;
		x->e = grown;
		if (parse_line(&x->e[x->n], p)) {
			snprintf(
				err, len,
				"%s:%d: expected KERNEL TEST CASE fail|error|intermittent[:FINDING][~KMSG] COMMIT REASON",
				path, lineno);
			fclose(f);
			pr_expect_free(x);
			return -1;
		}
		x->n++;
	}
	fclose(f);
	return 0;
}

void pr_expect_free(struct pr_expectations *x)
{
	free(x->e);
	x->e = NULL;
	x->n = 0;
}

/* KERNEL[@DEVICE] against release[@device]. */
static int env_match(const char *pat, const char *env)
{
	char p[64], e[128], *pdev, *edev;

	snprintf(p, sizeof(p), "%s", pat);
	snprintf(e, sizeof(e), "%s", env);
	pdev = strchr(p, '@');
	edev = strchr(e, '@');
	if (pdev)
		*pdev++ = '\0';
	if (edev)
		*edev++ = '\0';
	if (pdev && (!edev || fnmatch(pdev, edev, 0)))
		return 0;
	return pr_kernel_match(p, e);
}

/* The next line from *@i on that names this test and case; NULL at the end. */
static const struct pr_expectation *find_from(const struct pr_expectations *x,
					      const char *env, const char *test,
					      const char *cs, int *i)
{
	for (; x && *i < x->n; (*i)++) {
		const struct pr_expectation *e = &x->e[*i];

		if (env_match(e->kernel, env) &&
		    !fnmatch(e->test, test, FNM_EXTMATCH) &&
		    !fnmatch(e->cs, cs, FNM_EXTMATCH)) {
			(*i)++;
			return e;
		}
	}
	return NULL;
}

const struct pr_expectation *pr_expect_find(const struct pr_expectations *x,
					    const char *env, const char *test,
					    const char *cs)
{
	int i = 0;

	return find_from(x, env, test, cs, &i);
}

int pr_outcome_matches(const struct pr_expectation *e, enum pr_status s,
		       enum pr_finding f, const char *kmsg)
{
	return s == e->status && (!e->findings || e->findings & (1u << f)) &&
	       (!e->kmsg[0] || (kmsg && strstr(kmsg, e->kmsg)));
}

/*
 * Every line naming the case counts: the first that explains the outcome
 * makes it XFAIL; a pass where some line expects a failure every time is
 * XPASS (where every such line is intermittent, it stays a pass).
 */
enum pr_status pr_expect_apply(const struct pr_expectations *x, const char *env,
			       const char *test, const char *cs,
			       enum pr_status s, enum pr_finding f,
			       const char *kmsg,
			       const struct pr_expectation **why)
{
	const struct pr_expectation *e, *always = NULL, *sometimes = NULL;
	int i = 0;

	*why = NULL;
	while ((e = find_from(x, env, test, cs, &i))) {
		if (pr_outcome_matches(e, s, f, kmsg)) {
			*why = e;
			return PR_XFAIL;
		}
		if (e->status != PR_FAIL)
			continue;
		if (e->intermittent && !sometimes)
			sometimes = e;
		else if (!e->intermittent && !always)
			always = e;
	}
	if (s != PR_PASS)
		return s; /* a different failure: report it as it is */
	*why = always ? always : sometimes;
	return always ? PR_XPASS : PR_PASS;
}
