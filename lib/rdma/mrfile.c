// SPDX-License-Identifier: GPL-2.0
/* The MR-over-file plumbing shared by the case bodies. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "layout.h"
#include "mrfile.h"
#include "mrmode.h"
#include "xferverdict.h"

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

/*
 * The pin counters before anything is pinned.  Pins still held then are
 * usually going away (an io_uring ring of the last case, torn down by its
 * exit work): wait up to a second while they drop, so they are not taken
 * for this case's.
 */
static int pins_baseline(struct pr_pins *p)
{
	struct timespec tick = {0, 10 * 1000000L};
	struct pr_pins next;

	if (pr_pins_read(p))
		return -1;
	for (int i = 0; i < 100 && pr_pins_held(p) > 0; i++) {
		nanosleep(&tick, NULL);
		if (pr_pins_read(&next) ||
		    pr_pins_held(&next) >= pr_pins_held(p))
			break;
		*p = next;
	}
	return 0;
}

static void open_begin(struct pr_mrfile *m, const struct pr_case *c,
		       struct pr_result *res)
{
	memset(m, 0, sizeof(*m));
	m->f.fd = m->src.fd = -1;
	m->mode = c->mr;
	m->res = res;
	m->pins_ok = !pins_baseline(&m->pins0);
}

/* The RDMA device, before the files (its limits may shrink them). */
static int open_rdma(struct pr_mrfile *m, struct pr_ctx *ctx,
		     struct pr_result *res)
{
	char err[256];
	int rc;

	if (m->mode->ops)
		return 0;
	rc = pr_rdma_open(&m->rdma, ctx->rdma_dev, 0, err, sizeof(err));
	if (rc) {
		pr_error(res, -rc, "%s", err);
		return -1;
	}
	fit_device(ctx, &m->rdma, res);
	return 0;
}

/* The device's buffer, as large as the registered range. */
static int open_buf(struct pr_mrfile *m, struct pr_result *res)
{
	char err[256];
	int rc;

	if (m->mode->ops) {
		m->buf = aligned_alloc(4096, m->f.len);
		if (!m->buf)
			pr_error(res, ENOMEM, "the device's buffer");
		return m->buf ? 0 : -1;
	}
	rc = pr_rdma_set_buf(&m->rdma, m->f.len, err, sizeof(err));
	if (rc) {
		pr_error(res, -rc, "%s", err);
		return -1;
	}
	m->buf = m->rdma.buf;
	return 0;
}

int pr_mrfile_open(struct pr_mrfile *m, struct pr_ctx *ctx,
		   const struct pr_case *c, int map_flags,
		   struct pr_result *res)
{
	open_begin(m, c, res);
	if (open_rdma(m, ctx, res) ||
	    open_file(c, ctx, &m->f, "a", 1, map_flags, res) ||
	    (c->op && c->op->needs_src &&
	     open_file(c, ctx, &m->src, "b", 2, MAP_SHARED, res)))
		return -1;
	return open_buf(m, res);
}

int pr_mrfile_open_mem(struct pr_mrfile *m, struct pr_ctx *ctx,
		       const struct pr_case *c, void *addr, size_t len,
		       const char *what, struct pr_result *res)
{
	open_begin(m, c, res);
	m->f.map = addr;
	m->f.len = len;
	m->f.id = 1;
	snprintf(m->f.path, sizeof(m->f.path), "%s", what);
	m->borrowed = 1;
	return open_rdma(m, ctx, res) || open_buf(m, res) ? -1 : 0;
}

/* The pin source's registration: 0, or -1 with the result said. */
static int pin_register(struct pr_mrfile *m, const struct pr_case *c,
			struct pr_result *res)
{
	char err[256] = "";
	int rc = pr_pin_attach(&m->pin, m->mode, m->f.map, m->f.len, m->buf,
			       err, sizeof(err));

	if (rc == PR_PIN_BROKEN)
		pr_error(res, 0, "%s: %s", m->mode->name, err);
	else if (rc) {
		pr_refused(res, -rc, "%s (%s) on %s refused: %s",
			   m->mode->ops->call, m->mode->name,
			   c->backing ? c->backing->kind : m->f.path,
			   strerror(-rc));
		pr_diag("registration refused: %s (%s)", strerrorname_np(-rc),
			err);
	}
	return rc ? -1 : 0;
}

int pr_mrfile_register(struct pr_mrfile *m, const struct pr_case *c,
		       struct pr_result *res)
{
	int err;

	if (m->mode->ops)
		return pin_register(m, c, res);
	m->mr = pr_rdma_reg(&m->rdma, m->f.map, m->f.len, c->mr->access, &err);
	if (m->mr)
		return 0;
	pr_refused(res, err, "ibv_reg_mr(%s) on %s refused: %s", c->mr->name,
		   c->backing ? c->backing->kind : m->f.path, strerror(err));
	pr_diag("registration refused: %s", strerrorname_np(err));
	return -1;
}

int pr_mrfile_reopen(struct pr_mrfile *m, struct pr_ctx *ctx,
		     const struct pr_case *c, struct pr_result *res)
{
	char err[256];
	int rc;

	if (m->mode->ops) /* a pin source's failed transfer leaves no state
			   * behind: its registration stands */
		return 0;
	if (m->mr)
		ibv_dereg_mr(m->mr);
	m->mr = NULL;
	pr_rdma_close(&m->rdma);
	rc = pr_rdma_open(&m->rdma, ctx->rdma_dev, m->f.len, err, sizeof(err));
	if (rc) {
		pr_error(res, -rc, "reopening the device: %s", err);
		return -1;
	}
	m->buf = m->rdma.buf;
	return pr_mrfile_register(m, c, res);
}

int pr_mrfile_xfer(struct pr_mrfile *m, int write, size_t off, size_t len,
		   int timeout_ms, char *err, size_t errlen)
{
	if (m->mode->ops)
		return pr_pin_xfer(&m->pin, write, off, len, timeout_ms, err,
				   errlen);
	return pr_rdma_xfer(&m->rdma, write, m->mr, off, len, timeout_ms, err,
			    errlen);
}

int pr_mrfile_xfer_checked(struct pr_mrfile *m, struct pr_ctx *ctx, int write,
			   size_t off, size_t len)
{
	char err[256];
	int rc = pr_mrfile_xfer(m, write, off, len, ctx->prof.cqe_timeout_ms,
				err, sizeof(err));

	if (rc) {
		struct pr_xfer_result x = pr_xfer_decode(rc);

		pr_error(m->res, x.kind == PR_XFER_COMPLETION_ERROR ? 0 : x.err,
			 "%s: %s", pr_mrfile_xfer_name(m, write), err);
		return -1;
	}
	m->res->xfers++;
	return 0;
}

const char *pr_mrfile_xfer_name(const struct pr_mrfile *m, int write)
{
	static const char *const rdma[] = {"RDMA READ", "RDMA WRITE"};
	static __thread char name[64];

	if (!m->mode->ops)
		return rdma[!!write];
	snprintf(name, sizeof(name), "%s device %s", m->mode->source,
		 write ? "write" : "read");
	return name;
}

/* Every pin the case took is given back: the counters where they were. */
static void pins_settle(struct pr_mrfile *m)
{
	struct pr_pins now;
	long long excess;

	if (!m->pins_ok || !m->res ||
	    pr_pins_excess(&m->pins0, 0, 200, &excess, &now))
		return;
	if (!excess) {
		if (now.acquired > m->pins0.acquired)
			pr_note(m->res,
				"FOLL_PIN counters balanced (+%lld/-%lld)",
				now.acquired - m->pins0.acquired,
				now.released - m->pins0.released);
		return;
	}
	pr_fail(m->res, PR_F_PIN_LEAK,
		"%s on %s: %lld page pin(s) %s after every registration was undone (held %lld, at the start %lld; seen twice 200 ms apart)",
		m->mode->name, m->f.path[0] ? m->f.path : "?", llabs(excess),
		excess > 0 ? "still held" : "released more than once",
		pr_pins_held(&now), pr_pins_held(&m->pins0));
}

void pr_mrfile_close(struct pr_mrfile *m)
{
	pr_pin_detach(&m->pin);
	if (m->mr)
		ibv_dereg_mr(m->mr);
	m->mr = NULL;
	if (m->rdma.ctx)
		pr_rdma_close(&m->rdma);
	else
		free(m->buf);
	m->buf = NULL;
	if (m->borrowed) /* the caller's memory: the caller unmaps it */
		m->f.map = NULL;
	pr_file_close(&m->src);
	pr_file_close(&m->f);
	pins_settle(m);
}
