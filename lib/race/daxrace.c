// SPDX-License-Identifier: GPL-2.0
/*
 * The DAX reallocation case: setup on a filled filesystem, the transfer
 * and layout threads under the watchdog, what a stuck change says, and
 * the summary.  One round is in daxround.c, the judging in daxjudge.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <unistd.h>

#include "daxstate.h"
#include "fsfill.h"
#include "mrmode.h"
#include "xferverdict.h"

/* --- the transfer thread ------------------------------------------------ */

static void *xfer_thread(void *arg)
{
	struct dr *d = arg;
	uint32_t last = 0;
	char err[256];

	while (!atomic_load(&d->quit)) {
		uint32_t r = atomic_load(&d->go);
		ssize_t got;
		int rc;

		if (r == last) {
			pr_core_sleep_us(100);
			continue;
		}
		last = r;
		atomic_store(&d->started, r);
		if (d->cfg->xfer == PR_DAX_XFER_CPU_LOAD ||
		    d->cfg->xfer == PR_DAX_XFER_CPU_STORE) {
			dr_cpu_xfer(d, r);
			atomic_store(&d->done, r);
			continue;
		}
		if (d->cfg->xfer == PR_DAX_XFER_ODIRECT) {
			/* with cfg->stream, again and again until the change
			 * has returned: O_DIRECT in flight when it starts */
			do {
				got = CALL(d, W_XFER,
					   "pread O_DIRECT into the mapping",
					   d->x_off, d->x_len,
					   pread(d->s_fd,
						 (char *)d->a.map + d->x_off,
						 d->x_len, d->x_off));
				d->x_errno = got < 0 ? errno : 0;
				d->x_streamed++;
			} while (d->cfg->stream && got == (ssize_t)d->x_len &&
				 atomic_load(&d->changed) != r &&
				 !pr_core_expired(&d->k));
		} else {
			int write = d->cfg->xfer == PR_DAX_XFER_RDMA_WRITE;
			struct pr_xfer_result x;

			rc = CALL(d, W_XFER, write ? "RDMA WRITE" : "RDMA READ",
				  d->x_off, d->x_len,
				  pr_rdma_xfer(&d->rdma, write, d->mr, d->x_off,
					       d->x_len,
					       d->ctx->prof.cqe_timeout_ms, err,
					       sizeof(err)));
			x = pr_xfer_decode(rc);
			got = rc ? -1 : (ssize_t)d->x_len;
			d->x_errno = x.err;
			/* a completion error while the layout moved (an ODP
			 * fault past EOF, or no space to fill a hole): the
			 * device side starts afresh; a completion that never
			 * came is an error of its own */
			if (x.kind == PR_XFER_NO_COMPLETION)
				dr_fail(d, err, x.err);
			if (rc)
				dr_reopen(d);
		}
		d->x_got = got;
		if (got == (ssize_t)d->x_len)
			d->x_ok++;
		else
			d->x_failed++;
		atomic_store(&d->done, r);
	}
	return NULL;
}

static void *layout_thread(void *arg)
{
	struct dr *d = arg;
	uint64_t s = d->seed ^ 0x1111;

	/* the first round runs whatever the clock says */
	for (uint32_t r = 1; r == 1 || !pr_core_expired(&d->k); r++) {
		if (d->cfg->rounds && r > (uint32_t)d->cfg->rounds)
			break;
		if (d->op->needs_src ? dr_clone_round(d, r, &s)
				     : dr_round(d, r, &s))
			break;
	}
	atomic_store(&d->quit, 1);
	atomic_store(&d->k.stop, 1);
	return NULL;
}

/* --- setup, threads, teardown -------------------------------------------- */

static int alloc_all(struct dr *d)
{
	d->blen = d->len + SLACK + B_EXTRA;
	d->stage = aligned_alloc(4096, d->blen);
	d->rbuf = aligned_alloc(4096, d->blen);
	d->before = calloc(5 * d->n, sizeof(*d->before));
	d->phys_before =
		calloc(2 * d->n + d->blen / d->bs, sizeof(*d->phys_before));
	if (!d->stage || !d->rbuf || !d->before || !d->phys_before)
		return -ENOMEM;
	d->op_only = d->before + d->n;
	d->final1 = d->op_only + d->n;
	d->final2 = d->final1 + d->n;
	d->spare = d->final2 + d->n;
	d->phys_after = d->phys_before + d->n;
	d->phys_b = d->phys_after + d->n;
	return 0;
}

/* The O_DIRECT source: a page-cache file in cfg->src's directory. */
static int open_source(struct dr *d)
{
	const struct pr_backing *src = d->cfg->src;
	int rc;

	if (!pr_backing_dir(src)) {
		pr_skip(d->res,
			"no page-cache directory for the O_DIRECT source ($%s unset)",
			src->dir_env);
		return -1;
	}
	rc = pr_file_open(src, "src", d->len, 3, 0, &d->s);
	if (!rc) {
		d->s_fd = open(d->s.path, O_RDWR | O_DIRECT | O_CLOEXEC);
		rc = d->s_fd < 0 ? -errno : 0;
	}
	if (rc)
		pr_error(d->res, -rc, "the O_DIRECT source in %s: %s",
			 pr_backing_dir(src), strerror(-rc));
	return rc;
}

/* 2 MiB mappings, or the case does not apply. */
static int check_pmd(struct dr *d)
{
	long faults;
	int pmd;

	if ((uintptr_t)d->a.map % PMD_SIZE) {
		pr_skip(d->res,
			"no 2 MiB DAX mapping: the mapping at %p is not 2 MiB aligned",
			d->a.map);
		return -1;
	}
	faults = dr_prefault(d, &pmd);
	if (pmd) {
		pr_diag("%zu KiB mapped with %ld faults: 2 MiB entries",
			d->len >> 10, faults);
		return 0;
	}
	pr_skip(d->res,
		"no 2 MiB DAX mapping: writing %zu KiB through the mapping faulted %ld times (extents not 2 MiB aligned on %s?)",
		d->len >> 10, faults, d->res->fs);
	return -1;
}

static int setup(struct dr *d)
{
	char err[256];
	long long filled;
	int rc, e;

	d->len = d->cfg->file_size ? d->cfg->file_size : d->ctx->prof.file_size;
	d->bs = d->ctx->prof.block_size;
	d->n = d->len / d->bs;
	if (d->op->needs_src && d->cfg->xfer != PR_DAX_XFER_CPU_LOAD &&
	    d->cfg->xfer != PR_DAX_XFER_CPU_STORE) {
		pr_error(
			d->res, 0,
			"test bug: %s needs a source file; the reflink round runs with CPU loads or stores only",
			d->op->name);
		return -1;
	}
	rc = alloc_all(d);
	if (!rc)
		rc = pr_file_open(d->c->backing, "a", d->len, A_ID, 0, &d->a);
	if (!rc)
		rc = pr_file_open(d->c->backing, "b", d->len, B_ID, 0, &d->b);
	if (!rc && ftruncate(d->b.fd, 0))
		rc = -errno;
	if (rc) {
		pr_error(d->res, -rc, "creating the files: %s", strerror(-rc));
		return -1;
	}
	if (d->cfg->xfer == PR_DAX_XFER_ODIRECT && open_source(d))
		return -1;
	if (d->op->needs_src) {
		/* the reflink round: a source, no fill (daxclone.c) */
		rc = dr_clone_setup(d);
		if (rc)
			pr_error(d->res, -rc, "creating the source: %s",
				 strerror(-rc));
		return rc ? -1 : 0;
	}
	/* A's blocks are allocated before the filesystem fills up */
	rc = dr_write_a(d, 1);
	if (rc) {
		pr_error(d->res, -rc, "writing the file: %s", strerror(-rc));
		return -1;
	}
	if (d->cfg->pmd && check_pmd(d))
		return -1;
	if (d->cfg->mr || d->cfg->xfer == PR_DAX_XFER_RDMA_READ ||
	    d->cfg->xfer == PR_DAX_XFER_RDMA_WRITE) {
		rc = pr_rdma_open(&d->rdma, d->ctx->rdma_dev, d->len, err,
				  sizeof(err));
		if (rc) {
			pr_error(d->res, -rc, "%s", err);
			return -1;
		}
		d->mr = pr_rdma_reg(&d->rdma, d->a.map, d->len,
				    d->cfg->mr->access, &e);
		if (!d->mr) {
			pr_refused(d->res, e,
				   "ibv_reg_mr(%s) on %s refused: %s",
				   d->cfg->mr->name, d->c->backing->kind,
				   strerror(e));
			pr_diag("registration refused: %s", strerrorname_np(e));
			return -1;
		}
	}
	filled = pr_fs_fill(pr_backing_dir(d->c->backing), SLACK, &d->fill_fd,
			    d->fill_path, sizeof(d->fill_path));
	if (filled < 0) {
		pr_error(d->res, (int)-filled, "filling %s: %s",
			 pr_backing_dir(d->c->backing), strerror((int)-filled));
		return -1;
	}
	pr_diag("filled %s with %lld MiB but %u KiB: the other file gets what A frees",
		pr_backing_dir(d->c->backing), filled >> 20, SLACK >> 10);
	return 0;
}

static void teardown(struct dr *d)
{
	if (d->mr)
		ibv_dereg_mr(d->mr);
	if (d->rdma.ctx)
		pr_rdma_close(&d->rdma);
	if (d->fill_fd > 0) {
		close(d->fill_fd);
		unlink(d->fill_path);
	}
	if (d->s_fd > 0)
		close(d->s_fd);
	pr_file_close(&d->s);
	pr_file_close(&d->b);
	pr_file_close(&d->a);
	free(d->stage);
	free(d->rbuf);
	free(d->cbuf);
	free(d->before);
	free(d->phys_before);
}

static void on_alarm(int sig)
{
	(void)sig; /* only there to interrupt the retried call */
}

/*
 * The layout change was stuck (waiting for DAX pages to go idle) until
 * the watchdog released it, and every transfer is over now.  Once more,
 * on the same range, under a 3 s alarm: returning at once means the pages
 * were idle and the wait had missed its wake-up; being interrupted again
 * means a page is still busy: a pin that was never dropped.
 */
static void retry_stuck(struct dr *d)
{
	struct itimerval it = {.it_value = {3, 0}}, off = {0};
	struct sigaction sa = {.sa_handler = on_alarm};
	struct pr_layout l = {.f = &d->a,
			      .bs = d->bs,
			      .nblocks = d->n,
			      .model = d->op_only,
			      .src_model = d->spare};
	unsigned long long o, n;
	struct timespec t0, t1;
	size_t len = strlen(d->op->name);
	long ms;
	int rc;

	if (strncmp(d->res->hang_op, d->op->name, len) ||
	    sscanf(d->res->hang_op + len, "(off=%llu, len=%llu)", &o, &n) != 2)
		return;
	l.off = o;
	l.len = n;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL); /* no SA_RESTART */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	setitimer(ITIMER_REAL, &it, NULL);
	rc = d->op->apply(&l);
	setitimer(ITIMER_REAL, &off, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 +
	     (t1.tv_nsec - t0.tv_nsec) / 1000000;
	if (rc == -EINTR)
		pr_note(d->res,
			"with every transfer over, %s on the same range was stuck again for %ld ms: a page stays busy (a pin that was never dropped)",
			d->op->name, ms);
	else if (!strcmp(d->res->hang_release, "signal"))
		pr_note(d->res,
			"with every transfer over and the mapping gone, %s on the same range returned in %ld ms (%s): the pages were idle, the wait had missed its wake-up",
			d->op->name, ms, rc ? strerror(-rc) : "ok");
	else
		pr_note(d->res,
			"after the release (%s), %s on the same range returned in %ld ms (%s)",
			d->res->hang_release, d->op->name, ms,
			rc ? strerror(-rc) : "ok");
}

static const char *xfer_name(enum pr_dax_xfer x)
{
	static const char *const names[] = {
		[PR_DAX_XFER_NONE] = "no transfer",
		[PR_DAX_XFER_ODIRECT] = "O_DIRECT reads",
		[PR_DAX_XFER_RDMA_READ] = "RDMA READs",
		[PR_DAX_XFER_RDMA_WRITE] = "RDMA WRITEs",
		[PR_DAX_XFER_CPU_LOAD] = "CPU loads",
		[PR_DAX_XFER_CPU_STORE] = "CPU stores",
	};

	return names[x];
}

/*
 * The evidence so far, into the shared result: kept current during the
 * race (dr_round() calls it before each round's transfers), so a case the
 * watchdog found hung or the harness killed still says what it saw.
 * @xfer_rounds: rounds whose transfers ran (or are running).
 */
void dr_evidence(struct dr *d, uint64_t xfer_rounds)
{
	struct pr_result *res = d->res;

	res->ev.dax = 1;
	res->ev.freed = d->freed;
	res->ev.reused = d->reused;
	/* PMD-mapped while the O_DIRECT transfers ran: counted before each
	 * round with cfg->pmd; never when A is smaller than 2 MiB */
	if (d->cfg->pmd ||
	    (d->cfg->xfer == PR_DAX_XFER_ODIRECT && d->len < PMD_SIZE)) {
		res->ev.pmd_known = 1;
		res->ev.pmd_rounds = d->cfg->pmd ? d->pmd_rounds : 0;
		res->ev.xfer_rounds = xfer_rounds;
	}
}

static void summarize(struct dr *d)
{
	struct pr_result *res = d->res;

	if (d->op->needs_src) {
		dr_clone_summary(d);
		return;
	}
	pr_note(res,
		"%llu rounds of %s vs %s; %llu transfers whole, %llu cut short",
		(unsigned long long)d->rounds, d->op->name,
		xfer_name(d->cfg->xfer), (unsigned long long)d->x_ok,
		(unsigned long long)d->x_failed);
	if (d->cfg->stream)
		pr_note(res,
			"%llu O_DIRECT reads in all, repeated while each change ran",
			(unsigned long long)d->x_streamed);
	pr_note(res,
		"the other file got %llu of the %llu blocks A freed (it took %llu KiB a round)",
		(unsigned long long)d->reused, (unsigned long long)d->freed,
		(unsigned long long)(d->rounds ? d->b_bytes / d->rounds >> 10
					       : 0));
	if (d->short_writes)
		pr_note(res, "%llu rewrites of A came up short",
			(unsigned long long)d->short_writes);
	if (d->enospc)
		pr_note(res,
			"%llu changes found no space (ENOSPC; A not judged then)",
			(unsigned long long)d->enospc);
	if (d->rounds && d->enospc == d->rounds && res->status == PR_PASS)
		pr_error(
			res, ENOSPC,
			"every change ran out of space: nothing was judged in A");
	if (d->cfg->pmd)
		pr_note(res, "2 MiB mappings before %llu of %llu rounds",
			(unsigned long long)d->pmd_rounds,
			(unsigned long long)d->rounds);
	/* the allocator's choice: say so when nothing freed came back */
	if (d->freed && !d->reused)
		pr_note(res,
			"no block A freed went to the other file this time: nothing could be exposed through A");
	if (d->cfg->inject && !d->inject_done && res->status == PR_PASS)
		pr_error(
			res, 0,
			"self-test: nothing was injected (no round left a block untouched)");
	dr_evidence(d, d->rounds);
	if (d->cfg->needs_reuse && !d->reused && res->status == PR_PASS)
		pr_core_inconclusive(
			res,
			"the other file received none of the %llu blocks A freed: nothing could be exposed",
			(unsigned long long)d->freed);
}

void pr_daxrace_case(struct pr_ctx *ctx, const struct pr_case *c,
		     struct pr_result *res)
{
	struct dr d = {.ctx = ctx,
		       .res = res,
		       .c = c,
		       .seed = ctx->seed,
		       .cfg = c->variant->priv,
		       .s_fd = -1,
		       .fill_fd = -1,
		       .a = {.fd = -1},
		       .b = {.fd = -1},
		       .s = {.fd = -1}};

	d.op = d.cfg->op ? d.cfg->op : c->op;
	pr_core_init(&d.k, ctx, res);
	d.k.nw = NW;
	d.k.names[W_LAYOUT] = "layout";
	d.k.names[W_XFER] = "transfer";
	d.k.fn[W_LAYOUT] = layout_thread;
	d.k.fn[W_XFER] = xfer_thread;
	d.k.arg = &d;
	d.k.map = &d.a.map;
	if (setup(&d))
		goto out;
	d.k.map_len = d.a.len;
	d.k.mr = d.mr ? &d.mr : NULL; /* an MR to release, or none */
	pr_core_run(&d.k);
	switch (pr_core_end(&d.k, d.op->name)) {
	case PR_CORE_ABANDONED:
		return;
	case PR_CORE_DONE:
		if (res->finding == PR_F_HANG)
			retry_stuck(&d);
		goto out;
	case PR_CORE_GO:
		break;
	}
	summarize(&d);
	pr_core_conclude(&d.k, "every block read was undefined by the model");
out:
	teardown(&d);
}
