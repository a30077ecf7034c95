// SPDX-License-Identifier: GPL-2.0
/* The deterministic MR-over-file layout-change case. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "backing.h"
#include "mrfile.h"
#include "layout.h"
#include "mrlayout.h"
#include "mrmode.h"
#include "verbs.h"

static const int map_shared = MAP_SHARED, map_private = MAP_PRIVATE;

const struct pr_variant pr_variants_mapping[] = {
	{"shared", 0, &map_shared}, {"private", 0, &map_private}, {}};

struct mrl {
	struct pr_ctx *ctx;
	struct pr_result *res;
	const struct pr_case *c;
	struct pr_mrfile mf;
	struct pr_file *f, *src; /* &mf.f, &mf.src */
	int private;
	void *buf; /* staging for pwrite/pread */
	size_t bs, n;
	struct pr_expect *cur, *prev, *dev, *src_model;
};

static int fail_alloc(struct mrl *m, const char *what)
{
	pr_error(m->res, ENOMEM, "allocating %s", what);
	return -1;
}

/* Set every block of the model to generation @gen of file @f. */
static void model_gen(struct mrl *m, struct pr_expect *model, uint32_t id,
		      uint32_t gen)
{
	pr_model_fill(model, m->n, m->bs, id, gen, m->ctx->seed);
}

static void stamp(struct mrl *m, void *buf, uint32_t id, uint32_t gen,
		  uint8_t writer)
{
	struct pr_stamp s = {.file_id = id,
			     .gen = gen,
			     .seed = m->ctx->seed,
			     .writer = writer};

	pr_blk_fill_range(buf, m->f->len, m->bs, &s);
}

/* Verify @buf against @cur (and @prev for history), fold into the result. */
static uint64_t check(struct mrl *m, const void *buf,
		      const struct pr_expect *cur, const struct pr_expect *prev,
		      const char *label)
{
	struct pr_vreport vr;
	uint64_t bad;

	pr_vreport_init(&vr);
	/* dump the first few bad blocks of the case, not of every check */
	bad = pr_verify_model(buf, m->n, m->bs, cur, prev, m->f->path,
			      m->res->vr.ndumped < PR_VERIFY_MAX_DUMPS
				      ? pr_dumpdir(m->ctx)
				      : NULL,
			      label, &vr);
	if (bad) {
		pr_diag("%s: %llu of %llu blocks bad, first at offset %lld (%s)",
			label, (unsigned long long)bad,
			(unsigned long long)vr.nblocks, (long long)vr.first_bad,
			pr_class_name(vr.first_class));
		/* which step saw what, in the result: old data or lost */
		pr_note(m->res, "%s: %llu/%llu %s", label,
			(unsigned long long)bad, (unsigned long long)vr.nblocks,
			pr_class_name(vr.first_class));
	}
	pr_result_verified(m->res, &vr, 1);
	return bad;
}

static void set_by_device(struct pr_expect *model, size_t n, int on)
{
	for (size_t i = 0; i < n; i++)
		model[i].by_device = on;
}

static int xfer(struct mrl *m, int write, size_t off, size_t len)
{
	return pr_mrfile_xfer_checked(&m->mf, m->ctx, write, off, len);
}

static int open_all(struct mrl *m)
{
	const int *flags = m->c->variant ? m->c->variant->priv : NULL;

	m->private = flags && *flags == MAP_PRIVATE;
	if (pr_mrfile_open(&m->mf, m->ctx, m->c, flags ? *flags : MAP_SHARED,
			   m->res))
		return -1;
	m->bs = m->ctx->prof.block_size;
	m->n = m->f->len / m->bs;
	m->buf = aligned_alloc(4096, m->f->len);
	m->cur = calloc(4 * m->n, sizeof(*m->cur));
	if (!m->buf || !m->cur)
		return fail_alloc(m, "buffers");
	m->prev = m->cur + m->n;
	m->dev = m->prev + m->n;
	m->src_model = m->dev + m->n;
	return 0;
}

static void close_all(struct mrl *m)
{
	pr_mrfile_close(&m->mf);
	free(m->buf);
	free(m->cur);
}

/*
 * A transfer that starts in the middle of a page (and of a block): the
 * device must return exactly the bytes the CPU sees there.
 */
static void check_mid_page(struct mrl *m)
{
	size_t off = 1024, len = 2048, i;
	const unsigned char *want = (const unsigned char *)m->f->map + off;
	const unsigned char *got = m->mf.buf;

	if (xfer(m, 0, off, len))
		return;
	for (i = 0; i < len && got[i] == want[i]; i++)
		;
	if (i == len)
		return;
	pr_fail(m->res, PR_F_MISPLACED,
		"before any layout change, an RDMA READ of %zu bytes at offset %zu returned other bytes than the mapping holds (first difference at offset %zu)%s",
		len, off, off + i,
		memcmp(got, m->f->map, len)
			? ""
			: ": it returned the bytes at offset 0, the start of the page");
}

/* Steps 1-2: generation 1 in place and seen by the device. */
static int register_mr(struct mrl *m)
{
	const struct pr_case *c = m->c;

	/* Through the mapping when it is shared; a private mapping's stores
	 * would only reach private copies, so the file gets pwrite(). */
	if (m->private) {
		stamp(m, m->buf, m->f->id, 1, PR_W_PWRITE);
		if (pwrite(m->f->fd, m->buf, m->f->len, 0) !=
		    (ssize_t)m->f->len) {
			pr_error(m->res, errno, "stamping generation 1");
			return -1;
		}
	} else {
		stamp(m, m->f->map, m->f->id, 1, PR_W_MMAP);
	}
	model_gen(m, m->cur, m->f->id, 1);
	if (m->src->map) {
		stamp(m, m->buf, m->src->id, 1, PR_W_PWRITE);
		if (pwrite(m->src->fd, m->buf, m->src->len, 0) !=
		    (ssize_t)m->src->len) {
			pr_error(m->res, errno, "stamping the second file");
			return -1;
		}
		model_gen(m, m->src_model, m->src->id, 1);
	}
	if (pr_mrfile_register(&m->mf, c, m->res))
		return -1;
	if (xfer(m, 0, 0, m->f->len))
		return -1;
	/* Wrong data from a freshly registered MR is a finding of its own;
	 * the layout change cannot be judged on top of it. */
	if (check(m, m->mf.buf, m->cur, NULL, "control-read")) {
		pr_note(m->res,
			"the device misread the MR before any layout change");
		return -1;
	}
	/* Page-aligned transfers stay meaningful after a mid-page misread:
	 * record it and go on to the layout change. */
	check_mid_page(m);
	return m->res->status == PR_ERROR ? -1 : 0;
}

/*
 * What the device must see: with MAP_SHARED, the file; with MAP_PRIVATE,
 * whatever the CPU sees through the same mapping, which may still be its
 * private copy of the old content.
 */
static void device_expectation(struct mrl *m)
{
	memcpy(m->dev, m->cur, m->n * sizeof(*m->dev));
	if (!m->private)
		return;
	for (size_t i = 0; i < m->n; i++) {
		const char *blk = (const char *)m->f->map + i * m->bs;
		struct pr_blk_hdr h;

		memcpy(&h, blk, sizeof(h));
		if (pr_blk_hdr_valid(&h, m->bs) &&
		    pr_blk_data_valid(blk, m->bs))
			m->dev[i] = (struct pr_expect){.file_id = h.file_id,
						       .gen = h.gen,
						       .offset = h.offset,
						       .seed = m->ctx->seed};
		else if (pr_blk_hdr_valid(&h, m->bs))
			m->dev[i].gen = PR_GEN_ANY; /* partly cut: not judged */
		else if (pr_verify_block(blk, m->bs, &m->cur[i], NULL) ==
			 PR_BLK_ZERO)
			m->dev[i].gen = PR_GEN_HOLE;
		else
			m->dev[i].gen = PR_GEN_ANY; /* checked as the file */
	}
}

/* The device reads the whole MR; judged against m->dev and m->prev. */
static void device_read(struct mrl *m, const char *label)
{
	device_expectation(m);
	if (!xfer(m, 0, 0, m->f->len))
		check(m, m->mf.buf, m->dev, m->prev, label);
}

static int read_file(struct mrl *m)
{
	if (pread(m->f->fd, m->buf, m->f->len, 0) == (ssize_t)m->f->len)
		return 0;
	pr_error(m->res, errno, "pread: %s", strerror(errno));
	return -1;
}

/* Step 3: change the layout; the file must match the model. */
static int layout_change(struct mrl *m)
{
	const struct pr_layout_op *op = m->c->op;
	struct pr_layout l = {.f = m->f,
			      .src = m->src,
			      .bs = m->bs,
			      .nblocks = m->n,
			      .model = m->cur,
			      .src_model = m->src_model};
	int rc;

	pr_layout_range(&l);
	memcpy(m->prev, m->cur, m->n * sizeof(*m->cur));
	rc = op->apply(&l);
	if (rc == -EOPNOTSUPP || rc == -ENOTTY) {
		pr_skip(m->res, "%s not supported on %s (%s)", op->name,
			m->res->fs, strerrorname_np(-rc));
		return -1;
	}
	if (rc) {
		pr_error(m->res, -rc, "%s: %s", op->name, strerror(-rc));
		return -1;
	}
	m->res->ops++;
	op->model(&l);
	if (read_file(m))
		return -1;
	/* Independent of the device: the page cache and the model agree. */
	check(m, m->buf, m->cur, NULL, "file-after-op");
	device_read(m, "device-after-op");
	return 0;
}

/* Step 4: new data through the file; the device must see it. */
static int rewrite(struct mrl *m)
{
	memcpy(m->prev, m->cur, m->n * sizeof(*m->cur));
	stamp(m, m->buf, m->f->id, 2, PR_W_PWRITE);
	if (pwrite(m->f->fd, m->buf, m->f->len, 0) != (ssize_t)m->f->len) {
		pr_error(m->res, errno, "pwrite generation 2: %s",
			 strerror(errno));
		return -1;
	}
	model_gen(m, m->cur, m->f->id, 2);
	device_read(m, "device-after-rewrite");
	return 0;
}

/* Step 5: the device writes generation 3. */
static void device_write(struct mrl *m)
{
	struct pr_expect *gen3 = m->dev, *file = m->cur;

	memcpy(m->prev, m->cur, m->n * sizeof(*m->cur));
	device_expectation(m); /* what the mapping held before: m->dev */
	memcpy(m->prev, m->dev, m->n * sizeof(*m->dev));
	stamp(m, m->mf.buf, m->f->id, 3, PR_W_RDMA);
	if (xfer(m, 1, 0, m->f->len))
		return;
	model_gen(m, gen3, m->f->id, 3);
	set_by_device(gen3, m->n, 1);
	check(m, m->f->map, gen3, m->prev, "mapping-after-device-write");
	if (read_file(m))
		return;
	if (m->private) /* the file keeps generation 2: private is private */
		check(m, m->buf, file, NULL, "file-after-device-write");
	else
		check(m, m->buf, gen3, m->prev, "file-after-device-write");
}

void pr_mrlayout_case(struct pr_ctx *ctx, const struct pr_case *c,
		      struct pr_result *res)
{
	struct mrl m = {.ctx = ctx, .res = res, .c = c};

	m.f = &m.mf.f;
	m.src = &m.mf.src;

	if (open_all(&m) || register_mr(&m) || layout_change(&m) || rewrite(&m))
		goto out;
	if (c->mr->device_writes)
		device_write(&m);
	else
		pr_note(res, "read-only %s: no device write",
			c->mr->ops ? "device" : "MR");
	if (res->status == PR_PASS && res->finding <= PR_F_REFUSED)
		pr_note(res,
			"coherent: device, mapping and file agree after %s",
			c->op->name);
out:
	close_all(&m);
}
