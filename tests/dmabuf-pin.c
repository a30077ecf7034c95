// SPDX-License-Identifier: GPL-2.0
/*
 * Description: dma-buf mappings are not ordinary memory (seed 002: "DMA
 * buffers aren't normal memory, expecting that you can use them like that
 * (like calling get_user_pages works) cannot be guaranteed").  Create a
 * dma-buf from udmabuf (a sealed memfd) or from the system dma-heap, mmap
 * it and try to pin the mapping through each pin source (ibv_reg_mr,
 * io_uring fixed buffers, vmsplice): a refusal is correct, a pin that
 * takes hold is a dmabuf-pinned finding, reported with the vma's flags.
 * The supported path, ibv_reg_dmabuf_mr on the dma-buf fd, must move
 * verified data where the provider offers it.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/dma-buf.h>
#include <linux/dma-heap.h>
#include <linux/udmabuf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "mrmode.h"
#include "pin.h"
#include "pinrace.h"
#include "smaps.h"
#include "verbs.h"
#include "xfercheck.h"

struct source {
	const char *name;
	const char *dev;
	const char *config;		      /* what provides the device */
	int (*create)(int devfd, size_t len); /* dma-buf fd or -errno */
};

struct dmb_variant {
	const struct source *src;
	int by_fd; /* ibv_reg_dmabuf_mr on the fd, else ibv_reg_mr on mmap */
};

struct dmb {
	struct pr_ctx *ctx;
	struct pr_result *res;
	const struct dmb_variant *v;
	int fd;
	void *map;
	size_t len;
	struct pr_rdma rdma;
	struct ibv_mr *mr;
	struct pr_pin pin; /* a pin source other than RDMA */
	void *buf;	   /* its device side */
};

/* udmabuf: a memfd sealed against shrinking, its pages as a dma-buf. */
static int udmabuf_create(int devfd, size_t len)
{
	int memfd = memfd_create("pinrace", MFD_ALLOW_SEALING | MFD_CLOEXEC);
	struct udmabuf_create c = {.flags = UDMABUF_FLAGS_CLOEXEC, .size = len};
	int fd = -1;

	if (memfd < 0)
		return -errno;
	c.memfd = memfd;
	if (!ftruncate(memfd, len) && !fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK))
		fd = ioctl(devfd, UDMABUF_CREATE, &c);
	if (fd < 0)
		fd = -errno;
	close(memfd); /* the dma-buf holds the pages */
	return fd;
}

static int heap_create(int devfd, size_t len)
{
	struct dma_heap_allocation_data a = {.len = len,
					     .fd_flags = O_RDWR | O_CLOEXEC};

	return ioctl(devfd, DMA_HEAP_IOCTL_ALLOC, &a) ? -errno : (int)a.fd;
}

static const struct source udmabuf = {"udmabuf", "/dev/udmabuf",
				      "CONFIG_UDMABUF", udmabuf_create};
static const struct source heap = {"dma-heap system", "/dev/dma_heap/system",
				   "CONFIG_DMABUF_HEAPS_SYSTEM", heap_create};

static int cpu_access(struct dmb *m, unsigned long flags)
{
	struct dma_buf_sync s = {.flags = flags};

	return ioctl(m->fd, DMA_BUF_IOCTL_SYNC, &s) ? -errno : 0;
}

static int make_dmabuf(struct dmb *m)
{
	const struct source *src = m->v->src;
	int devfd = open(src->dev, O_RDWR | O_CLOEXEC);
	struct pr_stamp s = {.file_id = 1,
			     .gen = 1,
			     .seed = m->ctx->seed,
			     .writer = PR_W_MMAP};

	if (devfd < 0 && errno == ENOENT) {
		pr_skip(m->res, "no %s (%s)", src->dev, src->config);
		return -1;
	}
	if (devfd < 0) {
		pr_error(m->res, errno, "%s: %s", src->dev, strerror(errno));
		return -1;
	}
	m->fd = src->create(devfd, m->len);
	close(devfd);
	if (m->fd < 0) {
		pr_error(m->res, -m->fd,
			 "creating a %s dma-buf of %zu bytes: %s", src->name,
			 m->len, strerror(-m->fd));
		return -1;
	}
	m->map = mmap(NULL, m->len, PROT_READ | PROT_WRITE, MAP_SHARED, m->fd,
		      0);
	if (m->map == MAP_FAILED) {
		m->map = NULL;
		pr_error(m->res, errno, "mmap of the %s dma-buf: %s", src->name,
			 strerror(errno));
		return -1;
	}
	cpu_access(m, DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE);
	pr_blk_fill_range(m->map, m->len, m->ctx->prof.block_size, &s);
	cpu_access(m, DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE);
	return 0;
}

static int xfer(struct dmb *m, int write)
{
	return pr_xfer(m->ctx, m->res, &m->rdma, write, m->mr, 0, m->len);
}

static void check(struct dmb *m, const void *buf, uint32_t gen, int by_device,
		  const char *label)
{
	struct pr_expect e = {.file_id = 1,
			      .gen = gen,
			      .seed = m->ctx->seed,
			      .by_device = by_device};

	pr_check(m->ctx, m->res, buf, m->len, m->ctx->prof.block_size, &e,
		 label, label);
}

/* The device reads generation 1, then writes 2 for the CPU to see. */
static void traffic(struct dmb *m)
{
	struct pr_stamp s = {.file_id = 1,
			     .gen = 2,
			     .seed = m->ctx->seed,
			     .writer = PR_W_RDMA};

	if (xfer(m, 0))
		return;
	check(m, m->rdma.buf, 1, 0, "device-read");
	pr_blk_fill_range(m->rdma.buf, m->len, m->ctx->prof.block_size, &s);
	if (xfer(m, 1))
		return;
	cpu_access(m, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
	check(m, m->map, 2, 1, "dmabuf-after-device-write");
	cpu_access(m, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);
}

/* A pin source other than RDMA: its pinning call on the mapping. */
static void pin_mapping(struct dmb *m, const struct pr_mr_mode *mode,
			const char *flags)
{
	const char *src = m->v->src->name;
	char err[256] = "";
	int rc;

	m->buf = calloc(1, m->len);
	if (!m->buf)
		return pr_error(m->res, ENOMEM, "the device buffer");
	rc = pr_pin_attach(&m->pin, mode, m->map, m->len, m->buf, err,
			   sizeof(err));
	if (rc == PR_PIN_BROKEN)
		return pr_error(m->res, 0, "%s", err);
	if (rc)
		return pr_refused(
			m->res, -rc,
			"%s on the %s mapping refused: %s (VmFlags: %s)",
			mode->ops->call, src, strerrorname_np(-rc), flags);
	pr_fail(m->res, PR_F_DMABUF_PINNED,
		"%s pinned the pages of a %s mapping (VmFlags: %s)",
		mode->ops->call, src, flags);
}

static void reg_mapping(struct dmb *m, const struct pr_mr_mode *mode)
{
	const char *src = m->v->src->name;
	char flags[256] = "?";
	int err;

	pr_smaps_field(m->map, "VmFlags", flags, sizeof(flags));
	pr_diag("%s mapping VmFlags: %s", src, flags);
	if (mode->ops)
		return pin_mapping(m, mode, flags);
	m->mr = pr_rdma_reg(&m->rdma, m->map, m->len, mode->access, &err);
	if (!m->mr)
		return pr_refused(
			m->res, err,
			"ibv_reg_mr on the %s mapping refused: %s (VmFlags: %s)",
			src, strerrorname_np(err), flags);
	pr_fail(m->res, PR_F_DMABUF_PINNED,
		"ibv_reg_mr pinned the pages of a %s mapping (VmFlags: %s)",
		src, flags);
	traffic(m);
}

static void reg_fd(struct dmb *m, int access)
{
	int err;

	m->mr = ibv_reg_dmabuf_mr(m->rdma.pd, 0, m->len, (uintptr_t)m->map,
				  m->fd, access);
	err = errno;
	if (!m->mr &&
	    (err == EOPNOTSUPP || err == ENOSYS || err == EPROTONOSUPPORT))
		return pr_skip(m->res,
			       "%s does not support ibv_reg_dmabuf_mr (%s)",
			       m->rdma.name, strerrorname_np(err));
	if (!m->mr)
		return pr_refused(
			m->res, err,
			"ibv_reg_dmabuf_mr on a %s dma-buf refused: %s",
			m->v->src->name, strerrorname_np(err));
	traffic(m);
	if (m->res->status == PR_PASS)
		pr_note(m->res, "dma-buf MR: the device and the CPU agree");
}

static void body(struct pr_ctx *ctx, const struct pr_case *c,
		 struct pr_result *res)
{
	struct dmb m = {.ctx = ctx,
			.res = res,
			.v = c->variant->priv,
			.fd = -1,
			.len = ctx->prof.file_size};
	char err[256];
	int rc;

	if (m.v->by_fd && c->mr->ops) {
		pr_skip(res,
			"ibv_reg_dmabuf_mr is RDMA's: %s has no dma-buf import",
			c->mr->name);
		return;
	}
	if (make_dmabuf(&m))
		goto out;
	rc = c->mr->ops ? 0
			: pr_rdma_open(&m.rdma, ctx->rdma_dev, m.len, err,
				       sizeof(err));
	if (rc) {
		pr_error(res, -rc, "%s", err);
		goto out;
	}
	if (m.v->by_fd)
		reg_fd(&m, c->mr->access);
	else
		reg_mapping(&m, c->mr);
out:
	pr_pin_detach(&m.pin);
	free(m.buf);
	if (m.mr)
		ibv_dereg_mr(m.mr);
	if (m.rdma.ctx)
		pr_rdma_close(&m.rdma);
	if (m.map)
		munmap(m.map, m.len);
	if (m.fd >= 0)
		close(m.fd);
}

#define V(n, s, f)                                                             \
	{                                                                      \
		n, 0, &(const struct dmb_variant)                              \
		{                                                              \
			s, f                                                   \
		}                                                              \
	}
static const struct pr_variant variants[] = {
	V("udmabuf-mmap", &udmabuf, 0),
	V("dma-heap-mmap", &heap, 0),
	V("udmabuf-dmabuf-mr", &udmabuf, 1),
	V("dma-heap-dmabuf-mr", &heap, 1),
	{},
};

static const struct pr_mr_mode *const mrs[] = {
	&pr_mr_pinned_rw, &pr_mr_uring_fixed, &pr_mr_vmsplice, NULL};
static const char *const tags[] = {
	"f7254e043ff1 udmabuf: use vmf_insert_pfn and VM_PFNMAP for handling mmap",
	NULL,
};

static const struct pr_test test = {
	.name = "dmabuf-pin",
	.desc = "ibv_reg_mr on a dma-buf mapping must be refused; ibv_reg_dmabuf_mr moves verified data",
	.tags = tags,
	.mrs = mrs,
	.variants = variants,
	.body = body,
};

PR_TEST_MAIN(test)
