// SPDX-License-Identifier: GPL-2.0
/* What case bodies call to say what they found. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "pinrace.h"

void pr_diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

static void vnote(struct pr_result *r, const char *fmt, va_list ap)
{
	size_t used = strlen(r->detail);

	if (used && used + 2 < sizeof(r->detail)) {
		strcat(r->detail, "; ");
		used += 2;
	}
	if (used < sizeof(r->detail))
		vsnprintf(r->detail + used, sizeof(r->detail) - used, fmt, ap);
}

void pr_note(struct pr_result *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vnote(r, fmt, ap);
	va_end(ap);
}

static void raise_finding(struct pr_result *r, enum pr_finding f)
{
	if (f > r->finding)
		r->finding = f;
}

void pr_fail(struct pr_result *r, enum pr_finding f, const char *fmt, ...)
{
	va_list ap;

	if (r->status != PR_ERROR)
		r->status = PR_FAIL;
	raise_finding(r, f);
	va_start(ap, fmt);
	vnote(r, fmt, ap);
	va_end(ap);
}

void pr_skip(struct pr_result *r, const char *fmt, ...)
{
	va_list ap;

	r->status = PR_SKIP;
	va_start(ap, fmt);
	vnote(r, fmt, ap);
	va_end(ap);
}

void pr_error(struct pr_result *r, int err, const char *fmt, ...)
{
	va_list ap;

	r->status = PR_ERROR;
	if (err)
		r->err = err;
	va_start(ap, fmt);
	vnote(r, fmt, ap);
	va_end(ap);
}

void pr_refused(struct pr_result *r, int err, const char *fmt, ...)
{
	va_list ap;

	raise_finding(r, PR_F_REFUSED);
	r->err = err;
	va_start(ap, fmt);
	vnote(r, fmt, ap);
	va_end(ap);
}

void pr_result_verified(struct pr_result *r, const struct pr_vreport *vr,
			int zero_is_bad)
{
	enum pr_finding f = pr_vreport_finding(vr, zero_is_bad);
	struct pr_vreport *acc = &r->vr;

	if (vr->first_bad >= 0 && acc->first_bad < 0 && f != PR_F_NONE) {
		acc->first_bad = vr->first_bad;
		acc->first_class = vr->first_class;
		memcpy(acc->first_msg, vr->first_msg, sizeof(acc->first_msg));
	}
	acc->nblocks += vr->nblocks;
	for (int c = 0; c < PR_NCLASS; c++)
		acc->count[c] += vr->count[c];
	acc->ndumped += vr->ndumped;
	if (f != PR_F_NONE && r->status != PR_ERROR) {
		r->status = PR_FAIL;
		raise_finding(r, f);
	}
}

static int mkdir_p(char *path)
{
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0755) && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(path, 0755) && errno != EEXIST ? -1 : 0;
}

const char *pr_dumpdir(struct pr_ctx *ctx)
{
	if (!ctx->results)
		return NULL;
	if (!ctx->dumpdir[0]) {
		snprintf(ctx->dumpdir, sizeof(ctx->dumpdir), "%s/dumps/%s/%s",
			 ctx->results, ctx->test->name, ctx->cs->name);
		if (mkdir_p(ctx->dumpdir)) {
			ctx->dumpdir[0] = '\0';
			return NULL;
		}
	}
	return ctx->dumpdir;
}
