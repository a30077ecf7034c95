// SPDX-License-Identifier: GPL-2.0
/*
 * Description: the bookkeeping of every layout operation, with no device.
 * "model": after the operation, the file holds exactly what the
 * operation's model says.  "stale-injected": the file's content from
 * before the operation, judged against the model with history, must come
 * out stale for every block the operation changed (and an injected bit
 * flip must be caught where it changed none), so a verifier that took old
 * data for new would fail here.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backing.h"
#include "layout.h"
#include "pinrace.h"

enum check { MODEL, STALE };

static const enum check model = MODEL, stale = STALE;
static const struct pr_variant variants[] = {
	{"model", 0, &model}, {"stale-injected", 0, &stale}, {}};

static const struct pr_backing *const backings[] = {
	&pr_backing_tmp,   &pr_backing_xfs,   &pr_backing_ext4,
	&pr_backing_btrfs, &pr_backing_tmpfs, NULL};

struct st {
	struct pr_file f, src;
	struct pr_expect *cur, *prev, *src_model;
	unsigned char *before, *after;
	size_t bs, n;
	uint64_t seed;
};

static int setup(struct st *s, struct pr_ctx *ctx, const struct pr_case *c,
		 struct pr_result *res)
{
	size_t len = ctx->prof.file_size;
	struct pr_stamp a = {.file_id = 1, .gen = 1, .seed = ctx->seed};
	struct pr_stamp b = {.file_id = 2, .gen = 1, .seed = ctx->seed};
	int rc;

	s->bs = ctx->prof.block_size;
	s->n = len / s->bs;
	s->seed = ctx->seed;
	rc = pr_file_open(c->backing, "a", len, 1, 0, &s->f);
	if (!rc)
		rc = pr_file_open(c->backing, "b", len, 2, 0, &s->src);
	s->cur = calloc(3 * s->n, sizeof(*s->cur));
	s->before = malloc(2 * len);
	if (rc || !s->cur || !s->before) {
		pr_error(res, rc ? -rc : ENOMEM, "setting up the files");
		return -1;
	}
	s->prev = s->cur + s->n;
	s->src_model = s->prev + s->n;
	s->after = s->before + len;
	pr_blk_fill_range(s->before, len, s->bs, &a);
	pr_blk_fill_range(s->after, len, s->bs, &b);
	if (pwrite(s->f.fd, s->before, len, 0) != (ssize_t)len ||
	    pwrite(s->src.fd, s->after, len, 0) != (ssize_t)len) {
		pr_error(res, errno, "stamping the files");
		return -1;
	}
	pr_model_fill(s->cur, s->n, s->bs, 1, 1, s->seed);
	pr_model_fill(s->src_model, s->n, s->bs, 2, 1, s->seed);
	memcpy(s->prev, s->cur, s->n * sizeof(*s->cur));
	return 0;
}

static void teardown(struct st *s)
{
	pr_file_close(&s->f);
	pr_file_close(&s->src);
	free(s->cur);
	free(s->before);
}

static int same(const struct pr_expect *a, const struct pr_expect *b)
{
	return a->file_id == b->file_id && a->gen == b->gen &&
	       a->offset == b->offset;
}

/* The old content against the new model: changed blocks must be stale. */
static void check_stale(struct st *s, struct pr_ctx *ctx, struct pr_result *res)
{
	struct pr_vreport vr;
	uint64_t changed = 0;

	for (size_t i = 0; i < s->n; i++)
		changed += s->cur[i].gen != PR_GEN_ANY &&
			   !same(&s->cur[i], &s->prev[i]);
	if (!changed) /* nothing moved: inject a flipped bit instead */
		s->before[s->bs + 100] ^= 1;
	pr_vreport_init(&vr);
	pr_verify_model(s->before, s->n, s->bs, s->cur, s->prev, s->f.path,
			pr_dumpdir(ctx), "injected", &vr);
	if (changed && vr.count[PR_BLK_STALE] != changed)
		pr_fail(res, PR_F_SELFTEST,
			"%llu blocks changed, %llu judged stale (ok %llu, other %llu)",
			(unsigned long long)changed,
			(unsigned long long)vr.count[PR_BLK_STALE],
			(unsigned long long)vr.count[PR_BLK_OK],
			(unsigned long long)(vr.nblocks -
					     vr.count[PR_BLK_STALE] -
					     vr.count[PR_BLK_OK]));
	else if (!changed && vr.count[PR_BLK_TORN] != 1)
		pr_fail(res, PR_F_SELFTEST,
			"an injected bit flip was not caught");
	else
		pr_note(res, "%llu changed blocks judged stale%s",
			(unsigned long long)changed,
			changed ? "" : "; injected flip caught");
}

static void body(struct pr_ctx *ctx, const struct pr_case *c,
		 struct pr_result *res)
{
	struct st s = {.f = {.fd = -1}, .src = {.fd = -1}};
	struct pr_layout l;
	struct pr_vreport vr;
	int rc;

	if (setup(&s, ctx, c, res))
		goto out;
	l = (struct pr_layout){.f = &s.f,
			       .src = &s.src,
			       .bs = s.bs,
			       .nblocks = s.n,
			       .model = s.cur,
			       .src_model = s.src_model};
	pr_layout_range(&l);
	rc = c->op->apply(&l);
	if (rc == -EOPNOTSUPP || rc == -ENOTTY || rc == -EINVAL) {
		pr_skip(res, "%s not supported on %s (%s)", c->op->name,
			res->fs, strerrorname_np(-rc));
		goto out;
	}
	if (rc) {
		pr_error(res, -rc, "%s: %s", c->op->name, strerror(-rc));
		goto out;
	}
	c->op->model(&l);
	if (*(const enum check *)c->variant->priv == STALE) {
		check_stale(&s, ctx, res);
		goto out;
	}
	if (pread(s.f.fd, s.after, s.f.len, 0) != (ssize_t)s.f.len) {
		pr_error(res, errno, "pread: %s", strerror(errno));
		goto out;
	}
	pr_vreport_init(&vr);
	if (pr_verify_model(s.after, s.n, s.bs, s.cur, NULL, s.f.path,
			    pr_dumpdir(ctx), "model", &vr))
		pr_fail(res, PR_F_SELFTEST,
			"the model of %s does not predict the file: %s",
			c->op->name, vr.first_msg);
out:
	teardown(&s);
}

static const struct pr_test test = {
	.name = "selftest-layout",
	.desc = "layout operations: models predict the file, stale data is named stale",
	.timeout = 60,
	.backings = backings,
	.ops = pr_layout_ops_all,
	.variants = variants,
	.body = body,
};

PR_TEST_MAIN(test)
