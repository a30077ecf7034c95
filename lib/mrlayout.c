// SPDX-License-Identifier: GPL-2.0
/* The deterministic MR-over-file layout-change case. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backing.h"
#include "layout.h"
#include "mrlayout.h"
#include "mrmode.h"
#include "verbs.h"

struct mrl {
	struct pr_ctx *ctx;
	struct pr_result *res;
	struct pr_file f;
	struct pr_rdma rdma;
	struct ibv_mr *mr;
	void *buf; /* staging for pwrite/pread */
	size_t bs;
};

static struct pr_stamp stamp(struct mrl *m, uint32_t gen, uint8_t writer)
{
	return (struct pr_stamp){ .file_id = m->f.id, .gen = gen, .offset = 0,
				  .seed = m->ctx->seed, .writer = writer };
}

static struct pr_expect expect(struct mrl *m, uint32_t gen, int by_device)
{
	return (struct pr_expect){ .file_id = m->f.id, .gen = gen,
				   .offset = 0, .seed = m->ctx->seed,
				   .by_device = by_device };
}

/* Verify @buf (the whole file's worth) and fold it into the result. */
static int check(struct mrl *m, const void *buf, uint32_t gen, int by_device,
		 const char *label)
{
	struct pr_expect e = expect(m, gen, by_device);
	struct pr_vreport vr;
	uint64_t bad;

	pr_vreport_init(&vr);
	bad = pr_verify_range(buf, m->f.len, m->bs, &e, m->f.path,
			      pr_dumpdir(m->ctx), label, &vr);
	if (bad)
		pr_diag("%s: %llu of %llu blocks bad, first at offset %lld (%s)",
			label, (unsigned long long)bad,
			(unsigned long long)vr.nblocks, (long long)vr.first_bad,
			pr_class_name(vr.first_class));
	pr_result_verified(m->res, &vr, 1);
	return bad ? -1 : 0;
}

static int xfer(struct mrl *m, int write)
{
	char err[256];
	int rc = pr_rdma_xfer(&m->rdma, write, m->mr, 0, m->f.len,
			      m->ctx->prof.cqe_timeout_ms, err, sizeof(err));

	if (rc) {
		pr_error(m->res, rc < 0 ? -rc : 0, "RDMA %s: %s",
			 write ? "WRITE" : "READ", err);
		return -1;
	}
	m->res->xfers++;
	return 0;
}

static int open_all(struct mrl *m, const struct pr_case *c)
{
	char err[256];
	int rc;

	rc = pr_file_open(c->backing, "a", m->ctx->prof.file_size, 1, 0,
			  &m->f);
	if (rc) {
		pr_error(m->res, -rc, "creating the test file: %s",
			 strerror(-rc));
		return -1;
	}
	m->bs = m->ctx->prof.block_size;
	m->buf = aligned_alloc(4096, m->f.len);
	if (!m->buf) {
		pr_error(m->res, ENOMEM, "staging buffer");
		return -1;
	}
	rc = pr_rdma_open(&m->rdma, m->ctx->rdma_dev, m->f.len, err,
			  sizeof(err));
	if (rc) {
		pr_error(m->res, -rc, "%s", err);
		return -1;
	}
	return 0;
}

static void close_all(struct mrl *m)
{
	if (m->mr)
		ibv_dereg_mr(m->mr);
	if (m->rdma.ctx)
		pr_rdma_close(&m->rdma);
	pr_file_close(&m->f);
	free(m->buf);
}

/*
 * A transfer that starts in the middle of a page (and of a block): the
 * device must return exactly the bytes the CPU sees there.
 */
static int check_mid_page(struct mrl *m)
{
	size_t off = 1024, len = 2048;
	const unsigned char *want = (const unsigned char *)m->f.map + off;
	const unsigned char *got = m->rdma.buf;
	char err[256];
	size_t i;
	int rc;

	rc = pr_rdma_xfer(&m->rdma, 0, m->mr, off, len,
			  m->ctx->prof.cqe_timeout_ms, err, sizeof(err));
	if (rc) {
		pr_error(m->res, rc < 0 ? -rc : 0, "RDMA READ: %s", err);
		return -1;
	}
	m->res->xfers++;
	for (i = 0; i < len && got[i] == want[i]; i++)
		;
	if (i == len)
		return 0;
	pr_fail(m->res, PR_F_MISPLACED,
		"before any layout change, an RDMA READ of %zu bytes at offset %zu returned other bytes than the mapping holds (first difference at offset %zu)%s",
		len, off, off + i,
		memcmp(got, m->f.map, len) ? "" :
					     ": it returned the bytes at offset 0, the start of the page");
	return -1;
}

/* Steps 1-2: generation 1 in place and seen by the device. */
static int register_mr(struct mrl *m, const struct pr_case *c)
{
	struct pr_stamp s = stamp(m, 1, PR_W_MMAP);
	int err;

	pr_blk_fill_range(m->f.map, m->f.len, m->bs, &s);
	m->mr = pr_rdma_reg(&m->rdma, m->f.map, m->f.len, c->mr->access, &err);
	if (!m->mr) {
		pr_refused(m->res, err, "ibv_reg_mr(%s) on %s refused: %s",
			   c->mr->name, c->backing->kind, strerror(err));
		pr_diag("registration refused: %s", strerrorname_np(err));
		return -1;
	}
	if (xfer(m, 0))
		return -1;
	/* Wrong data from a freshly registered MR is a finding of its own;
	 * the layout change cannot be judged on top of it. */
	if (check(m, m->rdma.buf, 1, 0, "control-read")) {
		pr_note(m->res,
			"the device misread the MR before any layout change");
		return -1;
	}
	/* Page-aligned transfers stay meaningful after a mid-page misread:
	 * record it and go on to the layout change. */
	check_mid_page(m);
	return m->res->status == PR_ERROR ? -1 : 0;
}

/* Steps 3-4: change the layout, rewrite through the file, read via MR. */
static int layout_then_read(struct mrl *m, const struct pr_case *c)
{
	struct pr_stamp s = stamp(m, 2, PR_W_PWRITE);
	int rc = c->op->apply(&m->f, 0, m->f.len);

	if (rc == -EOPNOTSUPP) {
		pr_skip(m->res, "%s not supported on %s (EOPNOTSUPP)",
			c->op->name, m->res->fs);
		return -1;
	}
	if (rc) {
		pr_error(m->res, -rc, "%s: %s", c->op->name, strerror(-rc));
		return -1;
	}
	m->res->ops++;
	pr_blk_fill_range(m->buf, m->f.len, m->bs, &s);
	if (pwrite(m->f.fd, m->buf, m->f.len, 0) != (ssize_t)m->f.len) {
		pr_error(m->res, errno, "pwrite generation 2: %s",
			 strerror(errno));
		return -1;
	}
	if (xfer(m, 0))
		return -1;
	check(m, m->rdma.buf, 2, 0, "device-read");
	return 0;
}

/* Step 5: the device writes generation 3; the file must show it. */
static void write_then_check(struct mrl *m)
{
	struct pr_stamp s = stamp(m, 3, PR_W_RDMA);

	pr_blk_fill_range(m->rdma.buf, m->f.len, m->bs, &s);
	if (xfer(m, 1))
		return;
	if (pread(m->f.fd, m->buf, m->f.len, 0) != (ssize_t)m->f.len) {
		pr_error(m->res, errno, "pread after RDMA WRITE: %s",
			 strerror(errno));
		return;
	}
	check(m, m->buf, 3, 1, "file-after-device-write");
	check(m, m->f.map, 3, 1, "mapping-after-device-write");
}

void pr_mrlayout_case(struct pr_ctx *ctx, const struct pr_case *c,
		      struct pr_result *res)
{
	struct mrl m = { .ctx = ctx, .res = res, .f = { .fd = -1 } };

	if (open_all(&m, c) || register_mr(&m, c) ||
	    layout_then_read(&m, c))
		goto out;
	if (c->mr->device_writes)
		write_then_check(&m);
	else
		pr_note(res, "read-only MR: no device write");
	if (res->status == PR_PASS && res->finding == PR_F_NONE)
		pr_note(res, "coherent: device and file agree after %s",
			c->op->name);
out:
	close_all(&m);
}
