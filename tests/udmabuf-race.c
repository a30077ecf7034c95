// SPDX-License-Identifier: GPL-2.0
/*
 * Description: udmabuf as a pin source.  A memfd sealed with F_SEAL_SHRINK
 * is written (generation 1), a udmabuf takes its pages (memfd_pin_folios()
 * from 6.11), and the dma-buf's own mmap is the device's view.  Then, on
 * the middle half of the memfd: the case's change through the memfd
 * (FALLOC_FL_PUNCH_HOLE, FALLOC_FL_ZERO_RANGE, or none), a rewrite through
 * it (pwrite, generation 2), and a device write through the view
 * (generation 3).  After each step the memfd (pread) must hold what the
 * step leaves, and the view must show the same: old data there is
 * stale-read (the dma-buf kept pages the memfd dropped), a device write
 * the memfd does not show is lost-write.  Per step the result says, per
 * block of the range, what each side showed.  A kernel without udmabuf
 * (no /dev/udmabuf, or UDMABUF_CREATE refused) is a SKIP naming it.
 * selftest-inject puts the memfd's old data into what the view showed in
 * the coherent case and must end as fail:stale-read.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backing.h"
#include "block.h"
#include "inject.h"
#include "judge.h"
#include "layout.h"
#include "pinrace.h"
#include "udmabuf.h"

#define ID 1
#define MAXGEN 3

struct ub_variant {
	const struct pr_layout_op *op; /* NULL: no change, the writes only */
	int inject;
};

struct ub {
	struct pr_ctx *ctx;
	struct pr_result *res;
	const struct ub_variant *v;
	struct pr_udmabuf u;
	struct pr_file f; /* the memfd, for the layout operation */
	struct pr_layout l;
	size_t bs, n, len;
	unsigned char *buf;
	struct pr_expect *model, *prev;
	int nsaid;
	char seen[1024]; /* what each step showed, for the result */
	size_t seen_len;
};

static void stamp(struct ub *b, void *buf, size_t off, size_t len, uint32_t gen,
		  int writer)
{
	struct pr_stamp s = {.file_id = ID,
			     .gen = gen,
			     .offset = off,
			     .seed = b->ctx->seed,
			     .writer = writer};

	pr_blk_fill_range(buf, len, b->bs, &s);
}

/* --- what each side showed ------------------------------------------------ */

/* The generation block @blk holds (0: zeros), or -1: none of ours. */
static int gen_of(struct ub *b, const unsigned char *blk)
{
	struct pr_blk_hdr h;

	memcpy(&h, blk, sizeof(h));
	if (!pr_blk_hdr_valid(&h, b->bs)) {
		for (size_t i = 0; i < b->bs; i++)
			if (blk[i])
				return -1;
		return 0;
	}
	if (!pr_blk_data_valid(blk, b->bs) || h.file_id != ID ||
	    h.seed != b->ctx->seed || h.gen > MAXGEN)
		return -1;
	return (int)h.gen;
}

/* Append to the result's words, cut at the buffer's end. */
static __attribute__((format(printf, 2, 3))) void say(struct ub *b,
						      const char *fmt, ...)
{
	size_t room = sizeof(b->seen) - b->seen_len;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(b->seen + b->seen_len, room, fmt, ap);
	va_end(ap);
	b->seen_len += n < 0 ? 0 : (size_t)n < room ? (size_t)n : room - 1;
}

/* "the memfd showed 32 zeros" over the step's range, into the words. */
static void tally(struct ub *b, const char *side, const unsigned char *buf)
{
	static const char *const names[MAXGEN + 2] = {
		"other", "zeros", "generation 1", "generation 2",
		"generation 3"};
	uint64_t n[MAXGEN + 2] = {0};
	int first = 1;

	for (size_t i = b->l.off / b->bs; i < (b->l.off + b->l.len) / b->bs;
	     i++)
		n[gen_of(b, buf + i * b->bs) + 1]++;
	say(b, " %s", side);
	for (int g = 0; g < MAXGEN + 2; g++)
		if (n[g]) {
			say(b, "%s %llu %s", first ? "" : " +",
			    (unsigned long long)n[g], names[g]);
			first = 0;
		}
}

/* --- judging -------------------------------------------------------------- */

static void block(void *arg, size_t k, struct pr_judgement *j)
{
	struct ub *b = arg;

	j->cand = &b->model[k];
	j->ncand = 1;
	j->old = &b->prev[k];
}

static void judge(struct ub *b, const char *fname, const char *label)
{
	struct pr_judge_sink s = {.ctx = b->ctx,
				  .res = b->res,
				  .nsaid = &b->nsaid,
				  .fname = fname,
				  .label = label};

	pr_judge_range(&s, b->buf, b->n, b->bs, 0, block, b);
}

/* Both sides after step @what, against the model. */
static int check(struct ub *b, const char *what)
{
	char label[96];
	int rc;

	say(b, "%safter %s:", b->seen_len ? "; " : "", what);
	if (pread(b->u.memfd, b->buf, b->len, 0) != (ssize_t)b->len) {
		pr_error(b->res, errno, "pread of the memfd: %s",
			 strerror(errno));
		return -1;
	}
	tally(b, "the memfd showed", b->buf);
	say(b, ",");
	snprintf(label, sizeof(label), "memfd-after-%s", what);
	judge(b, "memfd", label);
	rc = pr_udmabuf_sync(&b->u, 1, 0);
	memcpy(b->buf, b->u.map, b->len);
	if (!rc)
		rc = pr_udmabuf_sync(&b->u, 0, 0);
	if (rc) {
		pr_error(b->res, -rc, "DMA_BUF_IOCTL_SYNC: %s", strerror(-rc));
		return -1;
	}
	if (b->v->inject && !strcmp(what, "rewrite")) {
		size_t i = (b->l.off + b->l.len) / b->bs - 1;
		struct pr_stamp s = {.file_id = ID,
				     .gen = 2,
				     .offset = i * b->bs,
				     .seed = b->ctx->seed,
				     .writer = PR_W_PWRITE};

		if (pr_inject_block(b->buf + i * b->bs, b->bs, b->v->inject, &s,
				    0)) {
			pr_error(b->res, 0, "self-test: nothing injected");
			return -1;
		}
		pr_diag("self-test: %s injected at %zu of the view",
			pr_inject_name(b->v->inject), i * b->bs);
	}
	tally(b, "the dma-buf", b->buf);
	snprintf(label, sizeof(label), "dmabuf-after-%s", what);
	judge(b, "dma-buf", label);
	return 0;
}

/* The range as generation @gen, by the memfd (pwrite) or the device (the
 * view); the model follows. */
static int write_range(struct ub *b, uint32_t gen, int device)
{
	size_t off = b->l.off, len = b->l.len;
	int rc = 0;

	memcpy(b->prev, b->model, b->n * sizeof(*b->model));
	for (size_t i = off / b->bs; i < (off + len) / b->bs; i++)
		b->model[i] = (struct pr_expect){.file_id = ID,
						 .gen = gen,
						 .offset = i * b->bs,
						 .seed = b->ctx->seed,
						 .by_device = device};
	stamp(b, b->buf, off, len, gen, device ? PR_W_MMAP : PR_W_PWRITE);
	if (!device) {
		if (pwrite(b->u.memfd, b->buf, len, off) != (ssize_t)len)
			rc = errno ? -errno : -EIO;
	} else {
		rc = pr_udmabuf_sync(&b->u, 1, 1);
		memcpy((char *)b->u.map + off, b->buf, len);
		if (!rc)
			rc = pr_udmabuf_sync(&b->u, 0, 1);
	}
	if (rc)
		pr_error(b->res, -rc, "%s: %s",
			 device ? "writing through the dma-buf"
				: "pwrite of the memfd",
			 strerror(-rc));
	return rc;
}

static int setup(struct ub *b)
{
	char why[256];
	int rc;

	b->bs = b->ctx->prof.block_size;
	b->len = b->ctx->prof.file_size;
	b->n = b->len / b->bs;
	b->buf = aligned_alloc(4096, b->len);
	b->model = calloc(2 * b->n, sizeof(*b->model));
	if (!b->buf || !b->model) {
		pr_error(b->res, ENOMEM, "out of memory");
		return -1;
	}
	b->prev = b->model + b->n;
	stamp(b, b->buf, 0, b->len, 1, PR_W_PWRITE);
	rc = pr_udmabuf_open(&b->u, b->len, b->buf, why, sizeof(why));
	if (rc > 0) {
		pr_skip(b->res, "%s", why);
		return -1;
	}
	if (rc) {
		pr_error(b->res, -rc, "udmabuf: %s", why);
		return -1;
	}
	pr_model_fill(b->model, b->n, b->bs, ID, 1, b->ctx->seed);
	memcpy(b->prev, b->model, b->n * sizeof(*b->model));
	b->f = (struct pr_file){.fd = b->u.memfd, .len = b->len, .id = ID};
	snprintf(b->f.path, sizeof(b->f.path), "memfd");
	b->l = (struct pr_layout){
		.f = &b->f, .bs = b->bs, .nblocks = b->n, .model = b->model};
	pr_layout_range(&b->l);
	return 0;
}

static void steps(struct ub *b)
{
	const struct pr_layout_op *op = b->v->op;
	int rc;

	/* the view of what the dma-buf took: the registration moved data */
	if (check(b, "udmabuf-create"))
		return;
	if (op) {
		memcpy(b->prev, b->model, b->n * sizeof(*b->model));
		rc = op->apply(&b->l);
		if (rc == -EOPNOTSUPP || rc == -ENOTTY)
			return pr_skip(
				b->res,
				"%s on a memfd (shmem's fallocate) refused: %s",
				op->name, strerrorname_np(-rc));
		if (rc)
			return pr_error(b->res, -rc, "%s on the memfd: %s",
					op->name, strerror(-rc));
		b->res->ops++;
		op->model(&b->l);
		if (check(b, op->name))
			return;
	}
	if (write_range(b, 2, 0) || check(b, "rewrite"))
		return;
	if (write_range(b, 3, 1) || check(b, "device-write"))
		return;
	pr_note(b->res,
		"per block of the %zu-block range at %zu (generation 1: as created, 2: rewritten through the memfd, 3: written through the dma-buf):%s",
		b->l.len / b->bs, b->l.off, b->seen);
}

static void udmabuf_case(struct pr_ctx *ctx, const struct pr_case *c,
			 struct pr_result *res)
{
	struct ub b = {.ctx = ctx,
		       .res = res,
		       .v = c->variant->priv,
		       .u = {.memfd = -1, .fd = -1}};

	if (!setup(&b))
		steps(&b);
	pr_udmabuf_close(&b.u);
	free(b.buf);
	free(b.model);
}

static const struct ub_variant punch = {.op = &pr_op_punch_hole};
static const struct ub_variant zero = {.op = &pr_op_zero_range};
static const struct ub_variant write_only = {0};
static const struct ub_variant inject = {.inject = PR_INJ_STALE};

static const struct pr_variant variants[] = {{"punch-hole", 0, &punch},
					     {"zero-range", 0, &zero},
					     {"write", 0, &write_only},
					     {"selftest-inject", 0, &inject},
					     {}};
static const char *const tags[] = {
	"89c1905d9c14 mm/gup: introduce memfd_pin_folios() for pinning memfd folios",
	"7d79cd784470 udmabuf: use vmf_insert_pfn and VM_PFNMAP for handling mmap",
	NULL,
};
static const struct pr_must musts[] = {
	{"selftest-inject", "fail:stale-read", 0},
	{},
};

static const struct pr_test test = {
	.name = "udmabuf-race",
	.desc = "punch, zero-range and writes through a sealed memfd against its udmabuf's dma-buf view, per block",
	.source = "udmabuf",
	.tags = tags,
	.variants = variants,
	.musts = musts,
	.body = udmabuf_case,
};

PR_TEST_MAIN(test)
