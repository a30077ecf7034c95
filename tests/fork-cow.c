// SPDX-License-Identifier: GPL-2.0
/*
 * Description: anonymous private memory registered as an MR, then fork().
 * The device reads and writes through the MR while the child writes its
 * copy, while the parent writes its own with the child alive, or while
 * neither writes; over a THP, with MADV_DONTFORK, after ibv_fork_init(),
 * and with an O_DIRECT read into the buffer in flight across the fork.
 * The device must read what the parent wrote, the parent must see every
 * device write, and the child must never see the parent's later data (the
 * net_dma bug of seed 000: DMA into a page that copy-on-write gave away).
 * Blocks are 2 KiB so that O_DIRECT and the CPU share each page.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "anon.h"
#include "backing.h"
#include "mrfile.h"
#include "mrmode.h"
#include "pin.h"
#include "peer.h"
#include "pinrace.h"
#include "smaps.h"
#include "verbs.h"
#include "xfercheck.h"

#define BS 2048
#define THP_SIZE (2u << 20)
enum { ID_PARENT = 1, ID_CHILD = 2 };
/*
 * Generations: before the fork; the two O_DIRECT sources (alternate
 * passes); the parent's CPU after the fork; the device.
 */
enum { G_BASE = 1, G_DIO_A = 2, G_DIO_B = 3, G_PARENT = 4, G_DEVICE = 5 };

struct cow_variant {
	unsigned child_writes : 1, parent_writes : 1, thp : 1, dontfork : 1,
		fork_init : 1, odirect : 1;
	uint32_t ahead; /* self-test: check the device against a later gen */
};

/* What the child saw, in memory shared with the parent. */
struct child_view {
	int mapped;
	unsigned unread; /* O_DIRECT blocks the fork caught unread */
	unsigned torn;	 /* ... or mid-read */
	struct pr_vreport vr;
};

struct cow {
	struct pr_ctx *ctx;
	struct pr_result *res;
	const struct cow_variant *v;
	struct pr_anon buf;
	struct pr_mrfile mf; /* the pin source over buf */
	struct child_view *child;
	int fork_status;
	int dontcopy;	     /* VmFlags "dc": the child gets no copy */
	uint32_t parent_gen; /* what the parent's buffer holds after the fork */
	struct pr_file f;    /* O_DIRECT sources: G_DIO_A, then G_DIO_B */
	int dfd;
	pthread_t dio;
	int dio_running;
	atomic_uint dio_passes;
	atomic_int dio_stop;
	int dio_err;
};

static void stamp(struct cow *m, size_t off, size_t len, uint32_t id,
		  uint32_t gen, uint8_t writer, void *dst)
{
	struct pr_stamp s = {.file_id = id,
			     .gen = gen,
			     .offset = off,
			     .seed = m->ctx->seed,
			     .writer = writer};

	pr_blk_fill_range(dst, len, BS, &s);
}

static int check(struct cow *m, const void *buf, uint32_t gen, int by_device,
		 const char *label)
{
	struct pr_expect e = {.file_id = ID_PARENT,
			      .gen = gen,
			      .seed = m->ctx->seed,
			      .by_device = by_device};

	return pr_check(m->ctx, m->res, buf, m->buf.len, BS, &e, label, label)
		       ? -1
		       : 0;
}

static int xfer(struct cow *m, int write)
{
	return pr_mrfile_xfer_checked(&m->mf, m->ctx, write, 0, m->buf.len);
}

static const char *fork_status_name(int s)
{
	return s == IBV_FORK_UNNEEDED
		       ? "unneeded (the kernel copies pinned pages at fork)"
	       : s == IBV_FORK_ENABLED ? "enabled (MADV_DONTFORK on every MR)"
				       : "disabled";
}

/* ibv_fork_init() must come before the device is opened. */
static int open_device(struct cow *m, const struct pr_case *c)
{
	int rc;

	if (c->mr->ops) /* not RDMA: no verbs, no fork setup */
		return pr_mrfile_open_mem(&m->mf, m->ctx, c, m->buf.addr,
					  m->buf.len, "anonymous memory",
					  m->res);
	if (m->v->fork_init) {
		rc = ibv_fork_init();
		if (rc) {
			pr_error(m->res, rc, "ibv_fork_init: %s", strerror(rc));
			return -1;
		}
	}
	m->fork_status = ibv_is_fork_initialized();
	pr_note(m->res, "ibv_is_fork_initialized: %s",
		fork_status_name(m->fork_status));
	return pr_mrfile_open_mem(&m->mf, m->ctx, c, m->buf.addr, m->buf.len,
				  "anonymous memory", m->res);
}

static int map_buffer(struct cow *m)
{
	size_t len = m->ctx->prof.file_size;
	char thp[128] = "?";
	long huge;
	FILE *f;
	int rc;

	if (m->v->thp)
		len = (len + THP_SIZE - 1) / THP_SIZE * THP_SIZE;
	rc = pr_anon_map(&m->buf, len, m->v->thp ? THP_SIZE : 4096, m->v->thp);
	if (rc) {
		pr_error(m->res, -rc, "mapping %zu bytes: %s", len,
			 strerror(-rc));
		return -1;
	}
	stamp(m, 0, len, ID_PARENT, G_BASE, PR_W_MMAP, m->buf.addr);
	if (m->v->dontfork && madvise(m->buf.addr, len, MADV_DONTFORK)) {
		pr_error(m->res, errno, "MADV_DONTFORK: %s", strerror(errno));
		return -1;
	}
	if (!m->v->thp)
		return 0;
	huge = pr_anon_huge_kb(&m->buf);
	if (huge > 0) {
		pr_note(m->res, "THP: %ld kB of %zu", huge, len >> 10);
		return 0;
	}
	f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "re");
	if (f) {
		if (!fgets(thp, sizeof(thp), f))
			snprintf(thp, sizeof(thp), "?");
		fclose(f);
	}
	thp[strcspn(thp, "\n")] = '\0';
	pr_skip(m->res,
		"no transparent huge page backs the buffer (AnonHugePages %ld kB; transparent_hugepage/enabled: %s)",
		huge, thp);
	return -1;
}

/*
 * A file of two regions, G_DIO_A and G_DIO_B blocks stamped with the
 * buffer's offsets, opened O_DIRECT.
 */
static int open_dio_source(struct cow *m)
{
	const struct pr_backing *b = &pr_backing_pagecache;
	size_t len = m->buf.len;
	void *tmp = aligned_alloc(4096, len);
	char fs[32];
	int rc;

	m->dfd = -1;
	if (!pr_backing_dir(b)) {
		free(tmp);
		pr_skip(m->res, "no page-cache directory ($%s unset)",
			b->dir_env);
		return -1;
	}
	rc = tmp ? pr_file_open(b, "dio", 2 * len, ID_PARENT, 0, &m->f)
		 : -ENOMEM;
	for (int r = 0; !rc && r < 2; r++) {
		stamp(m, 0, len, ID_PARENT, G_DIO_A + r, PR_W_PWRITE, tmp);
		if (pwrite(m->f.fd, tmp, len, r * len) != (ssize_t)len)
			rc = -errno;
	}
	if (!rc && fsync(m->f.fd))
		rc = -errno;
	free(tmp);
	if (!rc)
		m->dfd = open(m->f.path, O_RDONLY | O_DIRECT | O_CLOEXEC);
	if (rc || m->dfd < 0) {
		pr_error(m->res, rc ? -rc : errno, "O_DIRECT source file: %s",
			 strerror(rc ? -rc : errno));
		return -1;
	}
	unlink(m->f.path); /* nothing left behind if the case is killed */
	/* one block first: a filesystem without O_DIRECT says so here */
	tmp = aligned_alloc(4096, BS);
	rc = tmp && pread(m->dfd, tmp, BS, 0) == BS ? 0 : -1;
	if (rc)
		pr_skip(m->res, "no %d-byte O_DIRECT reads on %s: %s", BS,
			pr_backing_fs(b, fs, sizeof(fs)),
			strerror(tmp ? errno : ENOMEM));
	free(tmp);
	return rc;
}

/*
 * O_DIRECT reads into the first half of every page, one block at a time,
 * in passes alternating between the two sources until told to stop: the
 * reads are in flight when the fork comes, and the last whole pass says
 * what the parent must see.
 */
static void *dio_reader(void *arg)
{
	struct cow *m = arg;
	size_t nblk = m->buf.len / BS;

	for (unsigned pass = 0; !m->dio_err; pass++) {
		off_t src = (pass % 2) * m->buf.len;

		for (size_t i = 0; i < nblk && !m->dio_err; i += 2)
			if (pread(m->dfd, (char *)m->buf.addr + i * BS, BS,
				  src + i * BS) != BS)
				m->dio_err = errno ? errno : EIO;
		atomic_store(&m->dio_passes, pass + 1);
		if (atomic_load(&m->dio_stop))
			break;
	}
	return NULL;
}

static int start_dio(struct cow *m)
{
	int rc = pthread_create(&m->dio, NULL, dio_reader, m);

	if (rc) {
		pr_error(m->res, rc, "O_DIRECT thread: %s", strerror(rc));
		return -1;
	}
	m->dio_running = 1;
	while (!atomic_load(&m->dio_passes) && !m->dio_err)
		sched_yield();
	return 0;
}

static int join_dio(struct cow *m)
{
	if (!m->dio_running)
		return 0;
	atomic_store(&m->dio_stop, 1);
	pthread_join(m->dio, NULL);
	m->dio_running = 0;
	if (m->dio_err)
		pr_error(m->res, m->dio_err, "O_DIRECT read: %s",
			 strerror(m->dio_err));
	return m->dio_err ? -1 : 0;
}

/*
 * What block @i of the child's copy must be: its own stamps, or what the
 * parent had before the fork.  O_DIRECT blocks hold whichever pass the
 * fork caught (G_BASE before the first), torn where the fork's copy of a
 * pinned page met the read in flight: the copy and the read both move
 * through the buffer and can cross more than once (6.1 in CI: two torn
 * blocks, and one torn inside its header), but each torn block is two
 * versions of itself spliced at one point.  Never anything newer than
 * G_DIO_B: the parent's later data.
 */
/*
 * An O_DIRECT block the fork's copy met mid-read: its first bytes are one
 * version of the block (before the reads, or either pass) and the rest
 * another, split at one point.  Anything else (bytes of no version, or
 * of a later one) is not the read's.
 */
static int spliced(struct cow *m, size_t i, const void *p)
{
	static const uint32_t gens[] = {G_BASE, G_DIO_A, G_DIO_B};
	unsigned char img[3][BS];
	const unsigned char *v[3] = {img[0], img[1], img[2]};

	for (int k = 0; k < 3; k++)
		stamp(m, i * BS, BS, ID_PARENT, gens[k],
		      k ? PR_W_PWRITE : PR_W_MMAP, img[k]);
	return pr_judge_spliced(p, BS, v, 3);
}

static void child_block(struct cow *m, size_t i, struct child_view *cv)
{
	struct pr_vreport *vr = &cv->vr;
	const char *blk = (const char *)m->buf.addr + i * BS;
	int dio = m->v->odirect && !(i % 2);
	struct pr_expect e = {
		.file_id = m->v->child_writes ? ID_CHILD : ID_PARENT,
		.gen = m->v->child_writes ? G_BASE
		       : dio		  ? G_DIO_B
					  : G_BASE,
		.offset = i * BS,
		.seed = m->ctx->seed,
	};
	struct pr_blk_hdr h;
	enum pr_class c = pr_verify_block(blk, BS, &e, &h);

	if (dio && c == PR_BLK_STALE) {
		cv->unread += h.gen == G_BASE;
		c = PR_BLK_OK;
	} else if (dio && (c == PR_BLK_TORN || c == PR_BLK_CORRUPT) &&
		   spliced(m, i, blk)) {
		cv->torn++;
		c = PR_BLK_OK;
	}
	vr->nblocks++;
	vr->count[c]++;
	if (c == PR_BLK_OK || vr->first_bad >= 0)
		return;
	vr->first_bad = i * BS;
	vr->first_class = c;
	snprintf(
		vr->first_msg, sizeof(vr->first_msg),
		"verify failed in the child at offset %zu, length %d: expected file %u gen %u, received file %u gen %u (%s%s)",
		i * BS, BS, e.file_id, e.gen, h.file_id, h.gen,
		pr_class_name(c),
		c == PR_BLK_FUTURE ? ": the parent's later data" : "");
}

static int child(struct pr_peer *p, void *arg)
{
	struct cow *m = arg;
	struct child_view *cv = m->child;
	int ms = m->ctx->prof.timeout * 1000;
	unsigned char vec;

	cv->mapped = !mincore(m->buf.addr, 1, &vec);
	if (cv->mapped && m->v->child_writes)
		stamp(m, 0, m->buf.len, ID_CHILD, G_BASE, PR_W_MMAP,
		      m->buf.addr);
	if (pr_peer_send(p, 'R') || pr_peer_expect(p, 'C', ms))
		return 1;
	pr_vreport_init(&cv->vr);
	for (size_t i = 0; cv->mapped && i < m->buf.len / BS; i++)
		child_block(m, i, cv);
	return pr_peer_send(p, 'D') ? 1 : 0;
}

static void stamp_odd_blocks(struct cow *m, uint32_t gen)
{
	char *b = m->buf.addr;

	for (size_t off = BS; off < m->buf.len; off += 2 * BS)
		stamp(m, off, BS, ID_PARENT, gen, PR_W_MMAP, b + off);
}

/* The parent's writes while the child lives. */
static int parent_writes(struct cow *m)
{
	char *b = m->buf.addr;

	m->parent_gen = G_BASE;
	if (m->v->odirect) {
		/* the other half of each page, while O_DIRECT fills the first;
		 * then the same generation as O_DIRECT's last pass there */
		stamp_odd_blocks(m, G_PARENT);
		if (join_dio(m))
			return -1;
		m->parent_gen = G_DIO_A + (atomic_load(&m->dio_passes) - 1) % 2;
		stamp_odd_blocks(m, m->parent_gen);
		pr_note(m->res, "%u O_DIRECT passes",
			atomic_load(&m->dio_passes));
		check(m, b, m->parent_gen, 1, "parent-after-odirect");
		return 0;
	}
	if (m->v->parent_writes) {
		stamp(m, 0, m->buf.len, ID_PARENT, G_PARENT, PR_W_MMAP, b);
		m->parent_gen = G_PARENT;
	}
	return 0;
}

/* Will the child get a copy?  libibverbs may set MADV_DONTFORK itself. */
static void note_dontcopy(struct cow *m)
{
	char flags[256], padded[260];

	if (pr_smaps_field(m->buf.addr, "VmFlags", flags, sizeof(flags)))
		return;
	snprintf(padded, sizeof(padded), " %s ", flags);
	m->dontcopy = !!strstr(padded, " dc ");
	if (m->dontcopy && !m->v->dontfork)
		pr_note(m->res,
			"libibverbs set MADV_DONTFORK on the MR (VmFlags: %s)",
			flags);
}

static void judge_child(struct cow *m, int status)
{
	struct child_view *cv = m->child;
	int absent_ok = m->dontcopy;

	if (status) {
		pr_error(m->res, 0, "the forked child ended with status %d",
			 status);
		return;
	}
	if (!cv->mapped) {
		if (absent_ok)
			pr_note(m->res, "buffer not mapped in the child");
		else
			pr_error(
				m->res, 0,
				"buffer missing in the child without MADV_DONTFORK");
		return;
	}
	if (absent_ok)
		pr_note(m->res,
			"MADV_DONTFORK range still mapped in the child");
	if (m->v->odirect)
		pr_note(m->res,
			"child: %u O_DIRECT block(s) unread and %u torn at the fork",
			cv->unread, cv->torn);
	if (cv->vr.first_bad >= 0) {
		pr_diag("%s", cv->vr.first_msg);
		pr_note(m->res, "%s", cv->vr.first_msg);
	}
	pr_result_verified(m->res, &cv->vr, 1);
}

static void fork_and_check(struct cow *m, const struct pr_case *c)
{
	int ms = m->ctx->prof.timeout * 1000, rc, reported = 0;
	struct pr_peer p = {.fd = -1};

	note_dontcopy(m);
	if (m->v->odirect && start_dio(m))
		return;
	rc = pr_peer_start(&p, child, m);
	if (rc) {
		pr_error(m->res, -rc, "fork: %s", strerror(-rc));
		return;
	}
	if (parent_writes(m) || pr_peer_expect(&p, 'R', ms) || xfer(m, 0))
		goto out;
	check(m, m->mf.buf, m->parent_gen + m->v->ahead, 0,
	      "device-read-after-fork");
	if (c->mr->device_writes) {
		stamp(m, 0, m->buf.len, ID_PARENT, G_DEVICE, PR_W_RDMA,
		      m->mf.buf);
		if (xfer(m, 1))
			goto out;
		check(m, m->buf.addr, G_DEVICE, 1, "parent-after-device-write");
	}
	if (pr_peer_send(&p, 'C') || pr_peer_expect(&p, 'D', ms))
		pr_error(m->res, 0, "the forked child did not report");
	else
		reported = 1;
out:
	rc = pr_peer_finish(&p, ms);
	if (reported)
		judge_child(m, rc);
}

static void body(struct pr_ctx *ctx, const struct pr_case *c,
		 struct pr_result *res)
{
	struct cow m = {.ctx = ctx,
			.res = res,
			.v = c->variant->priv,
			.mf = {.f = {.fd = -1}, .src = {.fd = -1}},
			.f = {.fd = -1},
			.dfd = -1};

	m.child = mmap(NULL, sizeof(*m.child), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (m.child == MAP_FAILED)
		return pr_error(res, errno, "shared page: %s", strerror(errno));
	if (map_buffer(&m) || open_device(&m, c) ||
	    (m.v->odirect && open_dio_source(&m)) ||
	    pr_mrfile_register(&m.mf, c, res))
		goto out;
	if (xfer(&m, 0) || check(&m, m.mf.buf, G_BASE, 0, "control-read"))
		goto out;
	fork_and_check(&m, c);
	if (res->status == PR_PASS && res->finding == PR_F_NONE)
		pr_note(res,
			"coherent: the device and the parent agree, the child kept its own data");
out:
	join_dio(&m);
	if (m.mf.mode)
		pr_mrfile_close(&m.mf);
	if (m.dfd >= 0)
		close(m.dfd);
	pr_file_close(&m.f);
	pr_anon_unmap(&m.buf);
	munmap(m.child, sizeof(*m.child));
}

#define V(n, ...)                                                              \
	{                                                                      \
		n, 0, &(const struct cow_variant)                              \
		{                                                              \
			__VA_ARGS__                                            \
		}                                                              \
	}
static const struct pr_variant variants[] = {
	V("neither", 0),
	V("child-writes", .child_writes = 1),
	V("parent-writes", .parent_writes = 1),
	V("both-write", .child_writes = 1, .parent_writes = 1),
	V("thp", .thp = 1, .parent_writes = 1),
	V("dontfork", .dontfork = 1, .parent_writes = 1),
	V("fork-init", .fork_init = 1, .parent_writes = 1),
	V("odirect", .odirect = 1),
	/* detector self-test: a generation never written must be caught */
	V("selftest-stale", .ahead = 1),
	{},
};

/* io_uring and vmsplice as kselftest's cow.c pins them; cpu, the control */
static const struct pr_mr_mode *const mrs[] = {
	&pr_mr_pinned_rw,   &pr_mr_pinned_ro, &pr_mr_cpu,
	&pr_mr_uring_fixed, &pr_mr_vmsplice,  NULL};
static const char *const tags[] = {
	"70e806e4e645 mm: Do early cow for pinned pages during fork() for ptes",
	"57efa1fe5957 mm/gup: prevent gup_fast from racing with COW during fork",
	"6cc9e215eb27 RDMA/nldev: Add copy-on-fork attribute to get sys command",
	"84209e87c696 mm/gup: reliable R/O long-term pinning in COW mappings",
	NULL,
};

/* the detector's injection case: the unwritten generation must be caught */
static const struct pr_must musts[] = {
	{"*/selftest-stale", "fail:stale-read", 0},
	{},
};

static const struct pr_test test = {
	.name = "fork-cow",
	.desc = "anonymous MR across fork(): device, parent and child each see their own data",
	.tags = tags,
	.mrs = mrs,
	.variants = variants,
	.musts = musts,
	.body = body,
};

PR_TEST_MAIN(test)
