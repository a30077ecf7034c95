// SPDX-License-Identifier: GPL-2.0
/* Case reports: YAML for TAP, JSON lines for results.jsonl. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backing.h"
#include "cases.h"
#include "expect.h"
#include "layout.h"
#include "mrmode.h"
#include "report.h"

struct sb {
	char *buf;
	size_t len, used;
};

static void sb_printf(struct sb *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void sb_printf(struct sb *s, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (s->used >= s->len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(s->buf + s->used, s->len - s->used, fmt, ap);
	va_end(ap);
	if (n > 0)
		s->used += (size_t)n < s->len - s->used ? (size_t)n
							: s->len - s->used - 1;
}

/*
 * A double-quoted string.  JSON escapes a control byte as \u00XX, YAML as
 * \xXX (the one escape TAP::Parser's YAMLish reader also knows); both read
 * a byte >= 0x7f as that code point.
 */
static void sb_quote_as(struct sb *s, const char *str, int yaml)
{
	sb_printf(s, "\"");
	for (const unsigned char *p = (const unsigned char *)str; *p; p++) {
		if (*p == '"' || *p == '\\')
			sb_printf(s, "\\%c", *p);
		else if (*p == '\n')
			sb_printf(s, "\\n");
		else if (*p < 0x20 || *p >= 0x7f)
			sb_printf(s, yaml ? "\\x%02x" : "\\u%04x", *p);
		else
			sb_printf(s, "%c", *p);
	}
	sb_printf(s, "\"");
}

static void sb_quote(struct sb *s, const char *str)
{
	sb_quote_as(s, str, 0);
}

/* A YAML line "KEY: "VALUE"\n": every string quoted (a bare "-" or a
 * value holding ": " is not a plain scalar every reader takes). */
static void yaml_str(struct sb *s, const char *key, const char *val)
{
	sb_printf(s, "%s: ", key);
	sb_quote_as(s, val, 1);
	sb_printf(s, "\n");
}

/* A YAML literal block of @text's lines, indented by @indent, each
 * stripped of leading blanks and control characters (what a literal
 * block cannot hold). */
static void yaml_block(struct sb *s, const char *text, int indent)
{
	while (text && *text) {
		const char *end = text + strcspn(text, "\n"), *p = text;

		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if (p < end) { /* a blank line is left out */
			sb_printf(s, "%*s", indent, "");
			for (; p < end; p++)
				sb_printf(s, "%c",
					  (unsigned char)*p < 0x20 || *p == 0x7f
						  ? ' '
						  : *p);
			sb_printf(s, "\n");
		}
		text = end + (*end ? 1 : 0);
	}
}

static const char *errno_name(int err)
{
	const char *n = err ? strerrorname_np(err) : NULL;

	return n ? n : "";
}

static void counts(struct sb *s, const struct pr_vreport *vr, const char *sep)
{
	int first = 1;

	sb_printf(s, "{");
	for (int c = 0; c < PR_NCLASS; c++) {
		if (!vr->count[c])
			continue;
		sb_printf(s, "%s\"%s\"%s%llu", first ? "" : ", ",
			  pr_class_name(c), sep,
			  (unsigned long long)vr->count[c]);
		first = 0;
	}
	sb_printf(s, "}");
}

/* What a race proved: blocks judged strictly, those excused (by class
 * and reason), reads, and a reallocation race's reuse and PMD mapping.
 * @kv: "\"%s\": " for JSON, "%s: " for YAML; @pre and @post around
 * each field. */
static void evidence(struct sb *s, const struct pr_evidence *ev, const char *kv,
		     const char *pre, const char *post)
{
	int first = 1;

#define EV_KEY(k) sb_printf(s, "%s", pre), sb_printf(s, kv, k)
#define EV_NUM(k, v)                                                           \
	EV_KEY(k), sb_printf(s, "%llu%s", (unsigned long long)(v), post)
	EV_NUM("strict", ev->strict);
	EV_KEY("excused");
	sb_printf(s, "{");
	for (int x = 1; x < PR_NEXCUSE; x++)
		for (int c = 0; c < PR_NCLASS; c++) {
			if (!ev->excused[x][c])
				continue;
			sb_printf(s, "%s\"%s/%s\": %llu", first ? "" : ", ",
				  pr_class_name(c), pr_excuse_name(x),
				  (unsigned long long)ev->excused[x][c]);
			first = 0;
		}
	sb_printf(s, "}%s", post);
	if (ev->reads) {
		EV_NUM("reads", ev->reads);
		EV_NUM("quiet_reads", ev->quiet_reads);
	}
	if (ev->dax) {
		EV_NUM("freed", ev->freed);
		EV_NUM("reused", ev->reused);
	}
	if (ev->first_bad_read) {
		EV_NUM("first_bad_ops", ev->first_bad_ops);
		EV_NUM("first_bad_read", ev->first_bad_read);
	}
	if (ev->pmd_known) {
		EV_NUM("pmd_rounds", ev->pmd_rounds);
		EV_NUM("xfer_rounds", ev->xfer_rounds);
	}
#undef EV_NUM
#undef EV_KEY
}

static void kmsg_list(struct sb *s, const char *kmsg)
{
	char line[512];
	int first = 1;

	while (kmsg && *kmsg) {
		size_t n = strcspn(kmsg, "\n");

		snprintf(line, sizeof(line), "%.*s", (int)n, kmsg);
		sb_printf(s, "%s", first ? "" : ", ");
		first = 0;
		sb_quote(s, line);
		kmsg += n + (kmsg[n] ? 1 : 0);
	}
}

/*
 * The command that replays this case: run.sh's own (PINRACE_REPLAY holds
 * "./run.sh --kernel K [--profile P]" when run.sh started the run), else
 * the test binary's.
 */
static void replay_cmd(const struct pr_case_report *r, char *buf, size_t len)
{
	const char *pre = getenv("PINRACE_REPLAY");

	if (pre && *pre)
		snprintf(buf, len, "%s --tests %s --case '%s' --seed %llu", pre,
			 r->test, r->cs->name, (unsigned long long)r->run_seed);
	else
		snprintf(buf, len, "build/tests/%s --case '%s' --seed %llu",
			 r->test, r->cs->name, (unsigned long long)r->run_seed);
}

void pr_report_yaml(const struct pr_case_report *r, char *buf, size_t len)
{
	const struct pr_result *res = r->res;
	struct sb s = {buf, len, 0};
	char num[32], replay[768];

	buf[0] = '\0';
	yaml_str(&s, "role", r->role);
	yaml_str(&s, "finding", pr_finding_name(res->finding));
	if (res->err)
		yaml_str(&s, "errno", errno_name(res->err));
	if (res->fs[0])
		yaml_str(&s, "fs", res->fs);
	if (res->killed_by)
		yaml_str(&s, "killed_by", pr_killed_by_name(res->killed_by));
	if (res->detail[0])
		yaml_str(&s, "detail", res->detail);
	if (res->vr.nblocks) {
		sb_printf(&s, "blocks: %llu\ncounts: ",
			  (unsigned long long)res->vr.nblocks);
		counts(&s, &res->vr, ": ");
		sb_printf(&s, "\n");
	}
	if (res->vr.first_bad >= 0 && res->vr.nblocks) {
		sb_printf(&s, "first_bad: %lld\n",
			  (long long)res->vr.first_bad);
		yaml_str(&s, "first", res->vr.first_msg);
	}
	if (res->vr.nblocks || res->ev.dax)
		evidence(&s, &res->ev, "%s: ", "", "\n");
	snprintf(num, sizeof(num), "%llu", (unsigned long long)res->seed);
	yaml_str(&s, "seed", num);
	replay_cmd(r, replay, sizeof(replay));
	yaml_str(&s, "replay", replay);
	if (res->hang_op[0]) {
		sb_printf(&s, "hang:\n  ");
		yaml_str(&s, "op", res->hang_op);
		sb_printf(&s, "  wait_s: %d\n  ", res->hang_wait);
		yaml_str(&s, "release", res->hang_release);
		sb_printf(&s, "  stack: |\n");
		yaml_block(&s, res->stack, 4);
	}
	if (r->expect) {
		yaml_str(&s, "expected", r->expect->reason);
		yaml_str(&s, "commit", r->expect->commit);
	}
	if (r->kmsg && *r->kmsg) {
		sb_printf(&s, "kmsg: |\n");
		yaml_block(&s, r->kmsg, 2);
	}
}

static void field(struct sb *s, const char *key, const char *val)
{
	sb_printf(s, ", \"%s\": ", key);
	if (val)
		sb_quote(s, val);
	else
		sb_printf(s, "null");
}

int pr_report_jsonl(const struct pr_case_report *r, const char *path)
{
	const struct pr_result *res = r->res;
	const struct pr_case *c = r->cs;
	const char *repeat = getenv("PINRACE_REPEAT");
	char buf[12288], replay[768];
	struct sb s = {buf, sizeof(buf) - 2, 0};
	int fd, err = 0;

	sb_printf(&s, "{\"kernel\": ");
	sb_quote(&s, r->kernel);
	field(&s, "device", r->device && *r->device ? r->device : NULL);
	field(&s, "test", r->test);
	field(&s, "case", c->name);
	field(&s, "role", r->role);
	field(&s, "status", pr_status_name(res->status));
	field(&s, "finding", pr_finding_name(res->finding));
	field(&s, "errno", res->err ? errno_name(res->err) : NULL);
	field(&s, "backing", c->backing ? c->backing->kind : "none");
	field(&s, "fs", res->fs[0] ? res->fs : NULL);
	field(&s, "source", r->source ? r->source : "none");
	field(&s, "mr", c->mr ? c->mr->name : "none");
	field(&s, "op", c->op ? c->op->name : NULL);
	field(&s, "variant", c->variant ? c->variant->name : NULL);
	field(&s, "detail", r->why && *r->why ? r->why : res->detail);
	sb_printf(&s, ", \"blocks\": %llu, \"counts\": ",
		  (unsigned long long)res->vr.nblocks);
	counts(&s, &res->vr, ": ");
	/* seeds as strings: readers that use doubles round them past 2^53 */
	sb_printf(
		&s,
		", \"first_bad\": %lld, \"seed\": \"%llu\", \"run_seed\": \"%llu\"",
		(long long)(res->vr.nblocks ? res->vr.first_bad : -1),
		(unsigned long long)res->seed, (unsigned long long)r->run_seed);
	sb_printf(&s, ", \"ops\": %llu, \"xfers\": %llu, \"ms\": %ld",
		  (unsigned long long)res->ops, (unsigned long long)res->xfers,
		  r->duration_ms);
	field(&s, "killed_by", pr_killed_by_name(res->killed_by));
	evidence(&s, &res->ev, "\"%s\": ", ", ", "");
	replay_cmd(r, replay, sizeof(replay));
	field(&s, "replay", replay);
	if (repeat && *repeat && strspn(repeat, "0123456789") == strlen(repeat))
		sb_printf(&s, ", \"repeat\": %s", repeat);
	field(&s, "expected", r->expect ? r->expect->reason : NULL);
	field(&s, "commit", r->expect ? r->expect->commit : NULL);
	if (res->hang_op[0]) {
		char shortstack[512];
		const char *p = res->stack;

		/* the thread line, wchan and the first frames */
		for (int lines = 0; *p && lines < 6; lines++)
			p += strcspn(p, "\n") + (p[strcspn(p, "\n")] ? 1 : 0);
		snprintf(shortstack, sizeof(shortstack), "%.*s",
			 (int)(p - res->stack), res->stack);
		sb_printf(&s, ", \"hang\": {\"op\": ");
		sb_quote(&s, res->hang_op);
		sb_printf(&s,
			  ", \"wait_s\": %d, \"release\": ", res->hang_wait);
		sb_quote(&s, res->hang_release);
		sb_printf(&s, ", \"stack\": ");
		sb_quote(&s, shortstack);
		sb_printf(&s, "}");
	} else {
		sb_printf(&s, ", \"hang\": null");
	}
	/* set by the runner on the record of a case a guest died in */
	sb_printf(&s, ", \"boot\": null, \"log\": null, \"kmsg\": [");
	kmsg_list(&s, r->kmsg);
	sb_printf(&s, "]}\n");
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	if (write(fd, buf, strlen(buf)) < 0)
		err = -errno;
	close(fd);
	return err;
}
