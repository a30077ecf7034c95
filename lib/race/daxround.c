// SPDX-License-Identifier: GPL-2.0
/* One round of a DAX reallocation case, and the calls it makes. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "daxstate.h"
#include "fsfill.h"
#include "inject.h"
#include "mrmode.h"
#include "rng.h"

int dr_fail(struct dr *d, const char *what, int err)
{
	pr_core_fail(&d->k, "%s: %s", what, strerror(err));
	return -1;
}

void dr_stamp(struct dr *d, void *buf, size_t off, size_t len, uint32_t id,
	      uint32_t gen, int writer)
{
	struct pr_stamp s = {.file_id = id,
			     .gen = gen,
			     .offset = off,
			     .seed = d->seed,
			     .writer = writer};

	pr_blk_fill_range(buf, len, d->bs, &s);
}

int dr_pwrite_all(struct dr *d, int fd, const void *buf, size_t len, size_t off,
		  const char *name)
{
	ssize_t n =
		CALL(d, W_LAYOUT, name, off, len, pwrite(fd, buf, len, off));

	if (n == (ssize_t)len)
		return 0;
	return n < 0 ? -errno : -EIO;
}

/*
 * A is generation @g, wholly allocated.  Blocks B just freed may need a
 * commit before they can be had again (ext4's journal, XFS's busy
 * extents): on ENOSPC or a short write, sync and try again.
 */
int dr_write_a(struct dr *d, uint32_t g)
{
	int rc = -ENOSPC;

	dr_stamp(d, d->stage, 0, d->len, A_ID, g, PR_W_PWRITE);
	for (int tries = 0; tries < 3 && (rc == -ENOSPC || rc == -EIO);
	     tries++) {
		if (tries)
			CALL(d, W_LAYOUT, "syncfs", 0, 0, syncfs(d->a.fd));
		rc = dr_pwrite_all(d, d->a.fd, d->stage, d->len, 0, "pwrite");
	}
	if (rc == -EIO)
		d->short_writes++;
	return rc;
}

int dr_pread_all(struct dr *d, int fd, void *buf, size_t len, const char *name)
{
	ssize_t n = CALL(d, W_LAYOUT, name, 0, len, pread(fd, buf, len, 0));

	if (n == (ssize_t)len)
		return 0;
	return n < 0 ? -errno : -EIO;
}

/* Copy from a mapping; -EFAULT when it faults (SIGBUS past EOF, or the
 * watchdog unmapped it). */
int dr_map_copy(struct dr *d, void *dst, void *src, size_t len)
{
	return CALL(d, W_LAYOUT, "mapping read", 0, len,
		    pr_core_copy(dst, src, len, 0));
}

/*
 * Write-fault every page of A's mapping (each byte stored as it was), so
 * that GUP-fast finds writable entries; the number of faults it took, and
 * 1 in *@pmd if that is no more than 2 MiB entries would take.
 */
long dr_prefault(struct dr *d, int *pmd)
{
	struct rusage r0, r1;
	long faults;

	getrusage(RUSAGE_THREAD, &r0);
	CALL(d, W_LAYOUT, "mapping prefault", 0, d->len,
	     pr_core_copy(NULL, d->a.map, d->len, 4096));
	getrusage(RUSAGE_THREAD, &r1);
	faults = r1.ru_minflt - r0.ru_minflt;
	/* a read and a write fault per 2 MiB entry, and a few more */
	*pmd = faults <= 2 * (long)(d->len / PMD_SIZE) + 4;
	return faults;
}

/* --- the layout thread: one round ---------------------------------------- */

/* A block-aligned range; for the layout, clear of the last unit (collapse
 * must leave something after it), in 2 MiB units with cfg->pmd (and so
 * the streamed transfer's). */
static void pick(struct dr *d, uint64_t *s, size_t *off, size_t *len,
		 int for_layout)
{
	size_t unit = (for_layout || d->cfg->stream) && d->cfg->pmd
			      ? PMD_SIZE / d->bs
			      : 1;
	size_t n = d->n / unit;

	if (for_layout && n > 1)
		n--;
	pr_rng_range(s, n, unit * d->bs, off, len);
}

/*
 * B takes all there is: what A freed and the slack, until ENOSPC.  Freed
 * blocks may be held back until the freeing is committed (XFS's busy
 * extents, ext4's journal): at the first ENOSPC, commit and go on once,
 * so that B gets them.
 */
static size_t write_b(struct dr *d, uint32_t g)
{
	size_t done = 0;
	int synced = 0;

	dr_stamp(d, d->stage, 0, d->blen, B_ID, g, PR_W_PWRITE);
	while (done < d->blen) {
		size_t n = d->blen - done < B_CHUNK ? d->blen - done : B_CHUNK;
		ssize_t w = CALL(d, W_LAYOUT, "pwrite the other file", done, n,
				 pwrite(d->b.fd, d->stage + done, n, done));

		if (w > 0)
			done += w / d->bs * d->bs;
		if (w > 0 && (size_t)w == n)
			continue;
		if (synced++)
			break;
		CALL(d, W_LAYOUT, "syncfs", 0, 0, syncfs(d->b.fd));
	}
	return done;
}

static void count_reuse(struct dr *d, size_t bl)
{
	size_t nfreed = 0, got = bl / d->bs;

	if (CALL(d, W_LAYOUT, "FIEMAP", 0, bl,
		 pr_fiemap_blocks(d->b.fd, d->bs, d->phys_b, got)))
		return;
	d->reused += pr_blocks_reused(d->phys_before, d->phys_after, d->n,
				      d->phys_b, got, &nfreed);
	d->freed += nfreed;
}

/*
 * After a completion error the QPs are in error: start the device side
 * afresh (a reset in place is not reliable with rxe under ODP faults).
 * 0, or -1 with the case's error set.
 */
int dr_reopen(struct dr *d)
{
	char err[256];
	int rc, e;

	if (d->mr)
		ibv_dereg_mr(d->mr);
	d->mr = NULL;
	pr_rdma_close(&d->rdma);
	rc = pr_rdma_open(&d->rdma, d->ctx->rdma_dev, d->len, err, sizeof(err));
	if (rc)
		return dr_fail(d, "reopening the RDMA device", -rc);
	d->mr = pr_rdma_reg(&d->rdma, d->a.map, d->len, d->cfg->mr->access, &e);
	return d->mr ? 0 : dr_fail(d, "registering the MR again", e);
}

/* The device reads A whole: like the file, never B's blocks. */
static void device_read(struct dr *d, uint32_t g)
{
	char err[256];
	int rc;

	rc = CALL(d, W_LAYOUT, "RDMA READ", 0, d->len,
		  pr_rdma_xfer(&d->rdma, 0, d->mr, 0, d->len,
			       d->ctx->prof.cqe_timeout_ms, err, sizeof(err)));
	if (!rc) {
		dr_judge(d, J_FILE, d->rdma.buf, 0, d->n, g, d->a.path,
			 "device-read-after-round");
		return;
	}
	pr_diag("RDMA READ after the round: %s", err);
	if (rc > 0)
		dr_reopen(d);
}

/* The same expectation, field by field. */
static int same(const struct pr_expect *a, const struct pr_expect *b)
{
	return a->file_id == b->file_id && a->gen == b->gen &&
	       a->offset == b->offset && a->by_device == b->by_device;
}

/* Block @i holds what it held before the round, whatever the order. */
static int untouched(const struct dr *d, size_t i)
{
	return same(&d->before[i], &d->op_only[i]) &&
	       same(&d->before[i], &d->final1[i]) &&
	       same(&d->before[i], &d->final2[i]);
}

/*
 * Self-test: a fault where A's mapping was just read, which the judging
 * must catch: a torn or corrupt block where the round left the data as
 * it was, a stale or cross-file one anywhere (from the middle on).
 */
static void inject(struct dr *d, uint32_t g)
{
	int anywhere = d->cfg->inject == PR_INJ_STALE ||
		       d->cfg->inject == PR_INJ_CROSS;

	for (size_t k = 0; k < d->n; k++) {
		size_t i = (d->n / 2 + k) % d->n;
		struct pr_stamp s = {.file_id = A_ID,
				     .gen = g,
				     .offset = i * d->bs,
				     .seed = d->seed,
				     .writer = PR_W_PWRITE};

		if (!anywhere && !untouched(d, i))
			continue;
		if (!pr_inject_block(d->rbuf + i * d->bs, d->bs, d->cfg->inject,
				     &s, B_ID)) {
			pr_diag("self-test: %s injected at %zu of the mapping read",
				pr_inject_name(d->cfg->inject), i * d->bs);
			d->inject_done++;
		}
		return;
	}
}

/* Everything read after the round, judged. */
static void check_round(struct dr *d, uint32_t g, size_t bl)
{
	/* a change that ran out of space may have stopped anywhere: A is not
	 * judged this round, what was read through it and B still are */
	if (!d->partial && !dr_pread_all(d, d->a.fd, d->rbuf, d->len, "pread"))
		dr_judge(d, J_FILE, d->rbuf, 0, d->n, g, d->a.path,
			 "file-after-round");
	if (!d->partial && !dr_map_copy(d, d->rbuf, d->a.map, d->len)) {
		if (d->cfg->inject && !d->inject_done)
			inject(d, g);
		dr_judge(d, J_FILE, d->rbuf, 0, d->n, g, d->a.path,
			 "mapping-after-round");
	}
	if (d->cfg->xfer == PR_DAX_XFER_RDMA_READ &&
	    d->x_got == (ssize_t)d->x_len)
		dr_judge(d, J_READ, d->rdma.buf, d->x_off / d->bs,
			 d->x_len / d->bs, g, d->a.path,
			 "device-read-during-change");
	if (bl &&
	    !dr_pread_all(d, d->b.fd, d->rbuf, bl, "pread the other file"))
		dr_judge(d, J_OTHER, d->rbuf, 0, bl / d->bs, g, d->b.path,
			 "other-file-after-round");
	if (d->mr && !d->partial)
		device_read(d, g);
}

int dr_round(struct dr *d, uint32_t r, uint64_t *s)
{
	struct pr_layout l = {.f = &d->a,
			      .bs = d->bs,
			      .nblocks = d->n,
			      .src_model = d->spare};
	uint32_t g = 2 * r - 1;
	size_t bl;
	int rc;

	/* 1. A is generation g, wholly allocated */
	rc = dr_write_a(d, g);
	if (rc == -EIO)
		return dr_fail(
			d,
			"rewriting the file: short writes, also after syncfs",
			ENOSPC);
	if (rc)
		return dr_fail(d, "rewriting the file", -rc);
	pr_model_fill(d->before, d->n, d->bs, A_ID, g, d->seed);
	if (d->cfg->pmd) {
		int pmd;

		dr_prefault(d, &pmd);
		d->pmd_rounds += pmd;
	}
	dr_evidence(d, d->rounds + 1);

	/* 2. the transfer's range and data, the change's range */
	pick(d, s, &d->x_off, &d->x_len, 0);
	if (d->cfg->xfer == PR_DAX_XFER_ODIRECT) {
		dr_stamp(d, d->stage, d->x_off, d->x_len, A_ID, g + 1,
			 PR_W_ODIRECT);
		rc = CALL(d, W_LAYOUT, "pwrite O_DIRECT source", d->x_off,
			  d->x_len,
			  pwrite(d->s_fd, d->stage, d->x_len, d->x_off));
		if (rc != (int)d->x_len)
			return dr_fail(d, "writing the O_DIRECT source",
				       rc < 0 ? errno : EIO);
	} else if (d->cfg->xfer == PR_DAX_XFER_RDMA_WRITE) {
		dr_stamp(d, d->rdma.buf, d->x_off, d->x_len, A_ID, g + 1,
			 PR_W_RDMA);
	}
	pick(d, s, &l.off, &l.len, 1);
	rc = CALL(d, W_LAYOUT, "FIEMAP", 0, d->len,
		  pr_fiemap_blocks(d->a.fd, d->bs, d->phys_before, d->n));
	if (rc)
		return dr_fail(d, "FIEMAP", -rc);

	/* 3. the transfer starts; the change follows it closely */
	if (d->cfg->xfer != PR_DAX_XFER_NONE) {
		atomic_store(&d->go, r);
		while (atomic_load(&d->started) != r)
			;
		for (volatile uint64_t spin = pr_rng(s) % 4096; spin; spin--)
			;
	}
	rc = CALL(d, W_LAYOUT, d->op->name, l.off, l.len, d->op->apply(&l));
	atomic_store(&d->changed, r);
	d->partial = rc == -ENOSPC;
	if (rc == -EOPNOTSUPP || rc == -ENOTTY) {
		d->k.skip_errno = -rc;
	} else if (rc == -ENOSPC) {
		d->enospc++; /* the change needed space for itself */
		rc = 0;
	} else if (rc) {
		dr_fail(d, d->op->name, -rc);
	} else {
		d->res->ops++;
	}
	dr_build_models(d, &l, g);
	if (!rc)
		CALL(d, W_LAYOUT, "FIEMAP", 0, d->len,
		     pr_fiemap_blocks(d->a.fd, d->bs, d->phys_after, d->n));

	/* 4. B takes what A freed, once the change is committed (freed
	 * blocks are not handed out before that) */
	CALL(d, W_LAYOUT, "fsync", 0, 0, fsync(d->a.fd));
	bl = write_b(d, g);
	d->b_bytes += bl;
	count_reuse(d, bl);

	/* 5. the transfer ends (the watchdog frees it if it never does) */
	if (d->cfg->xfer != PR_DAX_XFER_NONE)
		while (atomic_load(&d->done) != r)
			pr_core_sleep_us(50);
	if (rc)
		return -1;
	check_round(d, g, bl);
	d->rounds++;
	rc = CALL(d, W_LAYOUT, "ftruncate the other file", 0, 0,
		  ftruncate(d->b.fd, 0) || fsync(d->b.fd));
	return rc ? dr_fail(d, "freeing the other file", errno) : 0;
}
