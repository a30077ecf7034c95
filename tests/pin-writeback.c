// SPDX-License-Identifier: GPL-2.0
/*
 * Description: writeback of page-cache pages dirtied through a pin (seed
 * 001: "set_page_dirty happening long time after page_release").  Where
 * the kernel allows writable long-term pins of page-cache files, register
 * an MR over a file mapping, let writeback clean the pages (fsync), then
 * let the device write into them: the kernel does not see that write.
 * Then fsync, sync, drop caches, reclaim under a cgroup, truncate; then
 * deregister (the unpin marks the pages dirty), fsync, unmount and mount
 * the filesystem again and read what reached it.  Two variants look while
 * the MR is still live: the storage after fsync (O_DIRECT), and the file
 * after a remount.  Kernel warnings the filesystem logs on the way become
 * kernel-warning findings through the harness's log scan.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backing.h"
#include "memcg.h"
#include "mounts.h"
#include "pinrace.h"
#include "verbs.h"
#include "xfercheck.h"

enum {
	A_FSYNC = 1,
	A_SYNC = 2,
	A_DROP = 4,	 /* sync; echo 3 > drop_caches */
	A_PRESSURE = 8,	 /* memory.reclaim on our own cgroup */
	A_TRUNCATE = 16, /* to half the file */
};

struct wb_variant {
	unsigned int actions;
	int storage_check; /* O_DIRECT read of the storage, MR live */
	int remount_live;  /* remount before deregistering */
};

struct wb {
	struct pr_ctx *ctx;
	struct pr_result *res;
	const struct wb_variant *v;
	struct pr_mount mnt;
	struct pr_memcg cg;
	int in_cg;
	struct pr_file f;
	struct pr_rdma rdma;
	struct ibv_mr *mr;
	void *buf;
	size_t bs;
	size_t size; /* what the file must hold at the end */
};

#define RW                                                                     \
	(IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_READ |                     \
	 IBV_ACCESS_REMOTE_WRITE)
#define RECLAIM (64ul << 20)

static void check(struct wb *m, uint32_t gen, const char *label)
{
	struct pr_expect e = {.file_id = m->f.id,
			      .gen = gen,
			      .seed = m->ctx->seed,
			      .by_device = gen == 2};

	pr_check(m->ctx, m->res, m->buf, m->size, m->bs, &e, m->f.path, label);
}

/* Read the file's first m->size bytes (O_DIRECT: from the storage). */
static int read_back(struct wb *m, int direct, const char *label)
{
	int fd =
		open(m->f.path, O_RDONLY | O_CLOEXEC | (direct ? O_DIRECT : 0));
	ssize_t n = fd < 0 ? -1 : pread(fd, m->buf, m->size, 0);
	int err = errno;

	if (fd >= 0)
		close(fd);
	if (n != (ssize_t)m->size) {
		pr_error(m->res, n < 0 ? err : EIO, "%s: reading %s: %s", label,
			 m->f.path, n < 0 ? strerror(err) : "short");
		return -1;
	}
	check(m, 2, label);
	return 0;
}

static int setup(struct wb *m, const struct pr_case *c)
{
	const char *dir = pr_backing_dir(c->backing);
	struct pr_stamp s = {.file_id = 1,
			     .gen = 1,
			     .seed = m->ctx->seed,
			     .writer = PR_W_PWRITE};
	size_t len = m->ctx->prof.file_size;
	char err[256];
	int rc;

	if (pr_mount_find(dir, &m->mnt)) {
		pr_skip(m->res,
			"%s is not a mount point: it cannot be remounted to see what reached the disk",
			dir);
		return -1;
	}
	if (m->v->actions & A_PRESSURE) {
		rc = pr_memcg_enter(&m->cg, err, sizeof(err));
		if (rc == -ENOENT)
			pr_skip(m->res, "%s", err);
		else if (rc)
			pr_error(m->res, -rc, "%s", err);
		if (rc)
			return -1;
		m->in_cg = 1;
	}
	m->bs = m->ctx->prof.block_size;
	m->size = len;
	rc = pr_file_open(c->backing, "wb", len, 1, 0, &m->f);
	m->buf = aligned_alloc(4096, len);
	if (rc || !m->buf) {
		pr_error(m->res, rc ? -rc : ENOMEM, "test file: %s",
			 strerror(rc ? -rc : ENOMEM));
		return -1;
	}
	pr_blk_fill_range(m->buf, len, m->bs, &s);
	if (pwrite(m->f.fd, m->buf, len, 0) != (ssize_t)len || fsync(m->f.fd)) {
		pr_error(m->res, errno, "writing generation 1: %s",
			 strerror(errno));
		return -1;
	}
	rc = pr_rdma_open(&m->rdma, m->ctx->rdma_dev, len, err, sizeof(err));
	if (rc)
		pr_error(m->res, -rc, "%s", err);
	return rc ? -1 : 0;
}

static int register_mr(struct wb *m)
{
	int err;

	m->mr = pr_rdma_reg(&m->rdma, m->f.map, m->f.len, RW, &err);
	if (m->mr)
		return 0;
	/* The kernel protecting the file (EFAULT from 6.5): a result, and
	 * nothing to write back behind its back. */
	pr_refused(m->res, err,
		   "writable ibv_reg_mr on a page-cache file refused: %s",
		   strerrorname_np(err));
	return -1;
}

/* The pin's write fault dirtied the pages: clean them, then let the
 * device write generation 2 behind the kernel's back. */
static int device_writes(struct wb *m)
{
	struct pr_stamp s = {.file_id = 1,
			     .gen = 2,
			     .seed = m->ctx->seed,
			     .writer = PR_W_RDMA};

	if (fsync(m->f.fd)) {
		pr_error(m->res, errno, "fsync: %s", strerror(errno));
		return -1;
	}
	pr_blk_fill_range(m->rdma.buf, m->f.len, m->bs, &s);
	return pr_xfer(m->ctx, m->res, &m->rdma, 1, m->mr, 0, m->f.len);
}

static int drop_caches(void)
{
	int fd = open("/proc/sys/vm/drop_caches", O_WRONLY | O_CLOEXEC);
	int rc = fd < 0 || write(fd, "3\n", 2) != 2 ? -errno : 0;

	if (fd >= 0)
		close(fd);
	return rc;
}

static int act(struct wb *m)
{
	unsigned int a = m->v->actions;
	long long before, after;
	int rc = 0;

	if ((a & A_FSYNC) && fsync(m->f.fd))
		rc = -errno;
	if (!rc && (a & (A_SYNC | A_DROP)))
		sync();
	if (!rc && (a & A_DROP))
		rc = drop_caches();
	if (!rc && (a & A_PRESSURE)) {
		long long file = pr_memcg_stat(&m->cg, "file");

		rc = pr_memcg_reclaim(&m->cg, RECLAIM, &before, &after);
		pr_note(m->res,
			"reclaim: memory.current %lld -> %lld kB, page cache %lld -> %lld kB",
			before >> 10, after >> 10, file >> 10,
			pr_memcg_stat(&m->cg, "file") >> 10);
		if (rc == -ENOENT) {
			pr_skip(m->res,
				"no memory.reclaim in cgroup v2 (kernel before 5.19)");
			return -1;
		}
	}
	if (!rc && (a & A_TRUNCATE)) {
		m->size = m->f.len / 2;
		rc = ftruncate(m->f.fd, m->size) ? -errno : 0;
	}
	if (rc)
		pr_error(m->res, -rc, "%s", strerror(-rc));
	m->res->ops += __builtin_popcount(a);
	return rc;
}

static void close_file(struct wb *m)
{
	if (m->f.map)
		munmap(m->f.map, m->f.len);
	m->f.map = NULL;
	if (m->f.fd >= 0)
		close(m->f.fd);
	m->f.fd = -1;
}

/* Unmount and mount again, then read what the filesystem has. */
static int remount_and_read(struct wb *m, const char *label)
{
	char err[600];
	struct stat st;
	int rc;

	close_file(m);
	rc = pr_mount_cycle(&m->mnt, err, sizeof(err));
	if (rc) {
		pr_error(m->res, -rc, "remounting: %s", err);
		return -1;
	}
	m->f.fd = open(m->f.path, O_RDWR | O_CLOEXEC);
	if (m->f.fd < 0 || fstat(m->f.fd, &st)) {
		pr_error(m->res, errno, "%s after remount: %s", m->f.path,
			 strerror(errno));
		return -1;
	}
	if ((size_t)st.st_size != m->size) {
		pr_fail(m->res,
			(size_t)st.st_size < m->size ? PR_F_LOST_WRITE
						     : PR_F_STALE_READ,
			"%s: %lld bytes after remount, expected %zu", label,
			(long long)st.st_size, m->size);
		return -1;
	}
	return read_back(m, 0, label);
}

static void body(struct pr_ctx *ctx, const struct pr_case *c,
		 struct pr_result *res)
{
	struct wb m = {
		.ctx = ctx, .res = res, .v = c->variant->priv, .f = {.fd = -1}};

	if (setup(&m, c) || register_mr(&m) || device_writes(&m) || act(&m))
		goto out;
	read_back(&m, 0, "file-with-mr-live");
	if (m.v->storage_check)
		read_back(&m, 1, "storage-with-mr-live");
	if (m.v->remount_live) {
		remount_and_read(&m, "file-after-remount-with-mr-live");
	} else {
		ibv_dereg_mr(m.mr);
		m.mr = NULL;
		if (fsync(m.f.fd))
			pr_error(res, errno, "fsync after deregistration: %s",
				 strerror(errno));
		else
			remount_and_read(&m, "file-after-dereg-and-remount");
	}
	if (res->status == PR_PASS && res->finding == PR_F_NONE)
		pr_note(res, "the device's writes reached the file");
out:
	if (m.mr)
		ibv_dereg_mr(m.mr); /* after a live remount: late dirtying */
	if (m.rdma.ctx)
		pr_rdma_close(&m.rdma);
	pr_file_close(&m.f);
	if (m.in_cg)
		pr_memcg_leave(&m.cg);
	free(m.buf);
}

#define V(n, ...)                                                              \
	{                                                                      \
		n, PR_NEED_RDMA | PR_NEED_ROOT, &(const struct wb_variant)     \
		{                                                              \
			__VA_ARGS__                                            \
		}                                                              \
	}
static const struct pr_variant variants[] = {
	V("fsync", .actions = A_FSYNC),
	V("sync", .actions = A_SYNC),
	V("drop-caches", .actions = A_DROP),
	V("pressure", .actions = A_PRESSURE),
	V("truncate", .actions = A_TRUNCATE),
	V("all",
	  .actions = A_FSYNC | A_SYNC | A_DROP | A_PRESSURE | A_TRUNCATE),
	V("fsync-storage-mr-live", .actions = A_FSYNC, .storage_check = 1),
	V("remount-mr-live", .actions = A_FSYNC, .remount_live = 1),
	{},
};

static const struct pr_backing *const backings[] = {&pr_backing_pagecache,
						    NULL};
static const char *const tags[] = {
	"8ac268436e6d mm/gup: disallow FOLL_LONGTERM GUP-nonfast writing to file-backed mappings",
	"a6e79df92e4a mm/gup: disallow FOLL_LONGTERM GUP-fast writing to file-backed mappings",
	NULL,
};

static const struct pr_test test = {
	.name = "pin-writeback",
	.desc = "device writes into pinned page-cache pages: what reaches the disk after fsync, reclaim, truncate, remount",
	.needs = PR_NEED_RDMA | PR_NEED_ROOT,
	.tags = tags,
	.backings = backings,
	.variants = variants,
	.body = body,
};

PR_TEST_MAIN(test)
