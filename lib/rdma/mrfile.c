// SPDX-License-Identifier: GPL-2.0
/* The MR-over-file plumbing shared by the case bodies. */
#include <string.h>
#include <sys/mman.h>

#include "layout.h"
#include "mrfile.h"
#include "mrmode.h"

static int open_file(const struct pr_case *c, struct pr_ctx *ctx,
		     struct pr_file *f, const char *tag, uint32_t id, int flags,
		     struct pr_result *res)
{
	int rc = pr_file_open(c->backing, tag, ctx->prof.file_size, id, flags,
			      f);

	if (rc)
		pr_error(res, -rc, "creating file %s in %s: %s", tag,
			 pr_backing_dir(c->backing), strerror(-rc));
	return rc;
}

/*
 * What the hardware says it can do: one MR (max_mr_size) and one message
 * (the port's max_msg_sz, whole-file transfers) bound the file, in whole
 * blocks and whole device pages (the smallest size in page_size_cap).
 */
static void fit_device(struct pr_ctx *ctx, const struct pr_rdma *r,
		       struct pr_result *res)
{
	uint64_t cap = r->attr.orig_attr.max_mr_size, page = 4096;
	uint64_t pcap = r->attr.orig_attr.page_size_cap;
	size_t want = ctx->prof.file_size, bs = ctx->prof.block_size;

	if (r->max_msg_sz && r->max_msg_sz < cap)
		cap = r->max_msg_sz;
	if (pcap && (pcap & -pcap) > page)
		page = pcap & -pcap;
	if (!cap || want <= cap)
		return;
	cap -= cap % (page > bs && page % bs == 0 ? page : bs);
	ctx->prof.file_size = cap;
	pr_note(res,
		"file size %zu capped at %zu: %s max_mr_size %llu, port max_msg_sz %u, smallest page %llu",
		want, (size_t)cap, r->name,
		(unsigned long long)r->attr.orig_attr.max_mr_size,
		r->max_msg_sz, (unsigned long long)page);
	pr_diag("device limit: file size %zu capped at %zu (%s)", want,
		(size_t)cap, r->name);
}

int pr_mrfile_open(struct pr_mrfile *m, struct pr_ctx *ctx,
		   const struct pr_case *c, int map_flags,
		   struct pr_result *res)
{
	char err[256];
	int rc;

	memset(m, 0, sizeof(*m));
	m->f.fd = m->src.fd = -1;
	rc = pr_rdma_open(&m->rdma, ctx->rdma_dev, 0, err, sizeof(err));
	if (rc) {
		pr_error(res, -rc, "%s", err);
		return -1;
	}
	fit_device(ctx, &m->rdma, res);
	if (open_file(c, ctx, &m->f, "a", 1, map_flags, res) ||
	    (c->op && c->op->needs_src &&
	     open_file(c, ctx, &m->src, "b", 2, MAP_SHARED, res)))
		return -1;
	rc = pr_rdma_set_buf(&m->rdma, m->f.len, err, sizeof(err));
	if (rc) {
		pr_error(res, -rc, "%s", err);
		return -1;
	}
	return 0;
}

int pr_mrfile_register(struct pr_mrfile *m, const struct pr_case *c,
		       struct pr_result *res)
{
	int err;

	m->mr = pr_rdma_reg(&m->rdma, m->f.map, m->f.len, c->mr->access, &err);
	if (m->mr)
		return 0;
	pr_refused(res, err, "ibv_reg_mr(%s) on %s refused: %s", c->mr->name,
		   c->backing->kind, strerror(err));
	pr_diag("registration refused: %s", strerrorname_np(err));
	return -1;
}

int pr_mrfile_reopen(struct pr_mrfile *m, struct pr_ctx *ctx,
		     const struct pr_case *c, struct pr_result *res)
{
	char err[256];
	int rc;

	if (m->mr)
		ibv_dereg_mr(m->mr);
	m->mr = NULL;
	pr_rdma_close(&m->rdma);
	rc = pr_rdma_open(&m->rdma, ctx->rdma_dev, m->f.len, err, sizeof(err));
	if (rc) {
		pr_error(res, -rc, "reopening the device: %s", err);
		return -1;
	}
	return pr_mrfile_register(m, c, res);
}

void pr_mrfile_close(struct pr_mrfile *m)
{
	if (m->mr)
		ibv_dereg_mr(m->mr);
	m->mr = NULL;
	if (m->rdma.ctx)
		pr_rdma_close(&m->rdma);
	pr_file_close(&m->src);
	pr_file_close(&m->f);
}
