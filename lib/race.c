// SPDX-License-Identifier: GPL-2.0
/* The race case: layout changes against RDMA traffic and file reads. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "backing.h"
#include "layout.h"
#include "mrfile.h"
#include "mrmode.h"
#include "race.h"
#include "verbs.h"
#include "watchdog.h"
#include "wdjoin.h"
#include "xferverdict.h"

enum { W_LAYOUT, W_RDMA, W_FILE, NWORKERS };

struct race {
	struct pr_ctx *ctx;
	struct pr_result *res;
	const struct pr_case *c;
	struct pr_mrfile mf;
	struct pr_file *f, *src; /* &mf.f, &mf.src */
	size_t bs, n;
	uint64_t seed;
	/* what the operation may legitimately leave, from its model */
	int makes_holes, moves_blocks, brings_src;
	_Atomic uint32_t epoch; /* last generation completely written */
	_Atomic uint64_t wseq;	/* odd while the layout thread changes data */
	_Atomic int stop;
	pthread_rwlock_t restamp; /* device writes vs the rewrite */
	pthread_mutex_t vr_lock;  /* the result, the wording budget */
	int nsaid;		  /* bad blocks worded so far */
	struct timespec deadline;
	struct pr_worker w[NWORKERS];
	void *stage;	/* the layout thread's rewrite buffer */
	int skip_errno; /* the operation is unsupported here */
	int abandoned;	/* a worker is stuck for good: leave it */
	char error[640];
};

void pr_worker_enter(struct pr_worker *w, const char *op, uint64_t off,
		     uint64_t len)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	w->off = off;
	w->len = len;
	w->since = now;
	w->op = op;
}

void pr_worker_leave(struct pr_worker *w)
{
	w->op = NULL;
	w->progress++;
}

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Workers run until the main thread (or an error) stops them. */
static int expired(struct race *r)
{
	return atomic_load(&r->stop);
}

static void stop_with(struct race *r, const char *fmt, const char *a,
		      const char *b)
{
	pthread_mutex_lock(&r->vr_lock);
	if (!r->error[0])
		snprintf(r->error, sizeof(r->error), fmt, a, b);
	pthread_mutex_unlock(&r->vr_lock);
	atomic_store(&r->stop, 1);
}

/* What the operation's model allows while it is in flight. */
static void learn_op(struct race *r)
{
	struct pr_expect *m = calloc(2 * r->n, sizeof(*m));
	struct pr_layout l = {.bs = r->bs,
			      .nblocks = r->n,
			      .model = m,
			      .src_model = m + r->n};

	if (!m)
		return;
	pr_model_fill(m, r->n, r->bs, 1, 1, 0);
	pr_model_fill(m + r->n, r->n, r->bs, 2, 1, 0);
	pr_layout_range(&l);
	r->c->op->model(&l);
	for (size_t i = 0; i < r->n; i++) {
		r->makes_holes |=
			m[i].gen == PR_GEN_HOLE || m[i].gen == PR_GEN_ANY;
		r->brings_src |= m[i].file_id == 2;
		r->moves_blocks |= m[i].offset != i * r->bs;
	}
	free(m);
}

/*
 * Judge one block read at file offset @pos while epochs [@e0, ...] could
 * be visible.  @quiet: no rewrite overlapped the read, so a torn block
 * cannot be a read racing a write.
 */
static enum pr_class judge(struct race *r, const unsigned char *blk,
			   uint64_t pos, uint32_t e0, int quiet)
{
	struct pr_expect e = {
		.file_id = r->f->id, .gen = e0, .offset = pos, .seed = r->seed};
	struct pr_blk_hdr h;
	enum pr_class c = pr_verify_block(blk, r->bs, &e, &h);

	switch (c) {
	case PR_BLK_ZERO:
		return r->makes_holes ? PR_BLK_OK : c;
	case PR_BLK_FUTURE: /* newer than e0: fine */
		return pr_blk_data_valid(blk, r->bs) || !quiet ? PR_BLK_OK
							       : PR_BLK_TORN;
	case PR_BLK_TORN:
	case PR_BLK_CORRUPT:
		return quiet ? c : PR_BLK_OK;
	case PR_BLK_MISPLACED:
		return r->moves_blocks ? PR_BLK_OK : c;
	case PR_BLK_CROSS:
		return r->brings_src && h.file_id == r->src->id &&
				       h.seed == r->seed
			       ? PR_BLK_OK
			       : c;
	case PR_BLK_STALE: /* older than what was done before the read */
		if (r->moves_blocks && h.offset != pos)
			return PR_BLK_OK; /* an old block moved here: in flight
					   */
		return c;
	default:
		return c;
	}
}

/* Judge a read of @len bytes at @off; word the first bad ones like fio. */
static void judge_range(struct race *r, const void *buf, uint64_t off,
			size_t len, uint32_t e0, int quiet, const char *label)
{
	struct pr_vreport vr, say;

	pr_vreport_init(&vr);
	for (size_t i = 0; i < len / r->bs; i++) {
		const unsigned char *blk =
			(const unsigned char *)buf + i * r->bs;
		struct pr_expect e = {.file_id = r->f->id,
				      .gen = e0,
				      .offset = off + i * r->bs,
				      .seed = r->seed};
		enum pr_class c = judge(r, blk, e.offset, e0, quiet);

		vr.nblocks++;
		vr.count[c]++;
		if (c == PR_BLK_OK)
			continue;
		pthread_mutex_lock(&r->vr_lock);
		if (r->nsaid < PR_VERIFY_MAX_DUMPS) {
			pr_vreport_init(&say);
			pr_verify_range(blk, r->bs, r->bs, &e, r->f->path,
					pr_dumpdir(r->ctx), label, &say);
			if (vr.first_bad < 0)
				memcpy(vr.first_msg, say.first_msg,
				       sizeof(vr.first_msg));
			r->nsaid++;
		}
		pthread_mutex_unlock(&r->vr_lock);
		if (vr.first_bad < 0) {
			vr.first_bad = e.offset;
			vr.first_class = c;
		}
	}
	pthread_mutex_lock(&r->vr_lock);
	pr_result_verified(r->res, &vr, 1);
	pthread_mutex_unlock(&r->vr_lock);
}

/*
 * A random block-aligned range.  The layout's range stays clear of the
 * last block: collapse must leave something after it (EINVAL otherwise).
 */
static void pick_range(struct race *r, uint64_t *s, size_t *off, size_t *len,
		       int for_layout)
{
	size_t n = for_layout && r->n > 1 ? r->n - 1 : r->n;
	size_t a = rnd(s) % n, b = rnd(s) % n;

	if (a > b) {
		size_t t = a;

		a = b;
		b = t;
	}
	*off = a * r->bs;
	*len = (b - a + 1) * r->bs;
}

/* Stamp @len bytes of file offset @off (and on) into @buf. */
static void stamp(struct race *r, void *buf, size_t off, size_t len,
		  uint32_t gen, int writer)
{
	struct pr_stamp s = {.file_id = r->f->id,
			     .gen = gen,
			     .offset = off,
			     .seed = r->seed,
			     .writer = writer};

	pr_blk_fill_range(buf, len, r->bs, &s);
}

static void *layout_thread(void *arg)
{
	struct race *r = arg;
	struct pr_worker *w = &r->w[W_LAYOUT];
	uint64_t s = r->seed ^ 0x1111;
	struct pr_layout l = {
		.f = r->f, .src = r->src, .bs = r->bs, .nblocks = r->n};
	struct pr_expect *scratch = calloc(2 * r->n, sizeof(*scratch));

	w->tid = syscall(SYS_gettid);
	l.model = scratch;
	l.src_model = scratch + r->n;
	while (scratch && !expired(r)) {
		uint32_t e = atomic_load(&r->epoch) + 1;
		int rc;

		pick_range(r, &s, &l.off, &l.len, 1);
		atomic_fetch_add(&r->wseq, 1);
		pr_worker_enter(w, r->c->op->name, l.off, l.len);
		rc = r->c->op->apply(&l);
		pr_worker_leave(w);
		if (rc == -EILSEQ) { /* dedupe: the device rewrote the range */
			atomic_fetch_add(&r->wseq, 1);
			continue;
		}
		if (rc == -EOPNOTSUPP || rc == -ENOTTY) {
			r->skip_errno = -rc;
			atomic_store(&r->stop, 1);
		} else if (rc) {
			stop_with(r, "%s: %s", r->c->op->name, strerror(-rc));
		}
		if (rc)
			break;
		r->res->ops++;
		stamp(r, r->stage, 0, r->f->len, e, PR_W_PWRITE);
		pthread_rwlock_wrlock(&r->restamp);
		pr_worker_enter(w, "pwrite", 0, r->f->len);
		rc = pwrite(r->f->fd, r->stage, r->f->len, 0) ==
		     (ssize_t)r->f->len;
		pr_worker_leave(w);
		if (rc)
			atomic_store(&r->epoch, e);
		pthread_rwlock_unlock(&r->restamp);
		atomic_fetch_add(&r->wseq, 1);
		if (!rc)
			stop_with(r, "pwrite generation: %s%s", strerror(errno),
				  "");
	}
	free(scratch);
	return NULL;
}

/* A work request that never completed: a hang of the device side. */
static void xfer_hang(struct race *r, const char *what, size_t off, size_t len)
{
	struct pr_result *res = r->res;

	pthread_mutex_lock(&r->vr_lock);
	snprintf(res->hang_op, sizeof(res->hang_op),
		 "%s completion (off=%zu, len=%zu)", what, off, len);
	res->hang_wait = r->ctx->prof.cqe_timeout_ms / 1000;
	snprintf(res->hang_release, sizeof(res->hang_release),
		 "none: QPs torn down");
	snprintf(
		res->stack, sizeof(res->stack),
		"the %s work request never completed, with no layout change in flight; the thread was polling its CQ\n",
		what);
	pr_fail(res, PR_F_HANG, "%s never completed (%d s)", what,
		res->hang_wait);
	pthread_mutex_unlock(&r->vr_lock);
	atomic_store(&r->stop, 1);
}

/* The device was refused memory the MR covers, every page of it mapped
 * and no layout change in flight: the kernel failed the device. */
static void xfer_denied(struct race *r, const char *what, const char *where)
{
	pthread_mutex_lock(&r->vr_lock);
	pr_fail(r->res, PR_F_ACCESS_ERROR,
		"%s denied with the layout standing still: %s", what, where);
	pthread_mutex_unlock(&r->vr_lock);
	atomic_store(&r->stop, 1);
}

/*
 * One RDMA transfer.  A completion error while the layout moved is not a
 * finding (an ODP fault past a momentary EOF): start the device side
 * afresh and go on.  Returns 0, 1 (raced: nothing to judge), -1 (stop).
 */
static int rdma_xfer(struct race *r, int write, size_t off, size_t len,
		     uint64_t seq0)
{
	const char *what = write ? "RDMA WRITE" : "RDMA READ";
	struct pr_worker *w = &r->w[W_RDMA];
	char err[256], where[512];
	enum pr_xfer_verdict v;
	uint64_t now;
	int rc;

	pr_worker_enter(w, what, off, len);
	rc = pr_rdma_xfer(&r->mf.rdma, write, r->mf.mr, off, len,
			  r->ctx->prof.cqe_timeout_ms, err, sizeof(err));
	pr_worker_leave(w);
	if (!rc) {
		r->res->xfers++;
		return 0;
	}
	now = atomic_load(&r->wseq);
	v = pr_xfer_verdict(rc, seq0, now);
	if (v == PR_XV_RACED)
		return pr_mrfile_reopen(&r->mf, r->ctx, r->c, r->res) ? -1 : 1;
	if (v == PR_XV_HANG) {
		xfer_hang(r, what, off, len);
		return -1;
	}
	snprintf(where, sizeof(where),
		 "%s at %zu+%zu (layout seq %llu at post, %llu now, epoch %u)",
		 err, off, len, (unsigned long long)seq0,
		 (unsigned long long)now, atomic_load(&r->epoch));
	if (v == PR_XV_DENIED)
		xfer_denied(r, what, where);
	else
		stop_with(r, "%s: %s", what, where);
	return -1;
}

static void *rdma_thread(void *arg)
{
	struct race *r = arg;
	uint64_t s = r->seed ^ 0x2222;

	r->w[W_RDMA].tid = syscall(SYS_gettid);
	while (!expired(r)) {
		uint64_t seq0 = atomic_load(&r->wseq);
		uint32_t e0 = atomic_load(&r->epoch);
		size_t off, len;
		int rc;

		pick_range(r, &s, &off, &len, 0);
		if ((rnd(&s) & 1) || !r->c->mr->device_writes) {
			rc = rdma_xfer(r, 0, off, len, seq0);
			if (!rc)
				judge_range(r, r->mf.rdma.buf, off, len, e0,
					    seq0 == atomic_load(&r->wseq) &&
						    !(seq0 & 1),
					    "race-device-read");
		} else {
			/* rewrite the current generation: never older data */
			pthread_rwlock_rdlock(&r->restamp);
			e0 = atomic_load(&r->epoch);
			stamp(r, r->mf.rdma.buf, off, len, e0, PR_W_RDMA);
			rc = rdma_xfer(r, 1, off, len, seq0);
			pthread_rwlock_unlock(&r->restamp);
		}
		if (rc < 0)
			break;
	}
	return NULL;
}

static __thread sigjmp_buf *bus_jmp;

static void on_sigbus(int sig)
{
	(void)sig;
	if (bus_jmp)
		siglongjmp(*bus_jmp, 1);
	abort();
}

static void *file_thread(void *arg)
{
	struct race *r = arg;
	struct pr_worker *w = &r->w[W_FILE];
	uint64_t s = r->seed ^ 0x3333;
	void *buf = malloc(r->f->len);
	sigjmp_buf jb;

	w->tid = syscall(SYS_gettid);
	while (buf && !expired(r)) {
		uint64_t seq0 = atomic_load(&r->wseq);
		uint32_t e0 = atomic_load(&r->epoch);
		int by_map = rnd(&s) & 1;
		size_t off, len;
		ssize_t got;

		pick_range(r, &s, &off, &len, 0);
		pr_worker_enter(w, by_map ? "mapping read" : "pread", off, len);
		if (by_map) {
			bus_jmp = &jb;
			if (sigsetjmp(jb, 1)) { /* past a momentary EOF */
				bus_jmp = NULL;
				pr_worker_leave(w);
				continue;
			}
			memcpy(buf, (char *)r->f->map + off, len);
			bus_jmp = NULL;
			got = len;
		} else {
			got = pread(r->f->fd, buf, len, off);
		}
		pr_worker_leave(w);
		if (got == (ssize_t)len)
			judge_range(r, buf, off, len, e0,
				    seq0 == atomic_load(&r->wseq) &&
					    !(seq0 & 1),
				    by_map ? "race-mapping-read"
					   : "race-file-read");
	}
	free(buf);
	return NULL;
}

/* Quiet again: the device reads the last generation, then writes one
 * more, which the file and the mapping must show. */
static void final_check(struct race *r)
{
	uint32_t e = atomic_load(&r->epoch);
	struct pr_expect want = {
		.file_id = r->f->id, .gen = e, .seed = r->seed};
	struct pr_vreport vr;

	if (rdma_xfer(r, 0, 0, r->f->len, atomic_load(&r->wseq)))
		return;
	pr_vreport_init(&vr);
	pr_verify_range(r->mf.rdma.buf, r->f->len, r->bs, &want, r->f->path,
			pr_dumpdir(r->ctx), "final-device-read", &vr);
	pr_result_verified(r->res, &vr, 1);
	if (!r->c->mr->device_writes)
		return;
	stamp(r, r->mf.rdma.buf, 0, r->f->len, e + 1, PR_W_RDMA);
	if (rdma_xfer(r, 1, 0, r->f->len, atomic_load(&r->wseq)) ||
	    pread(r->f->fd, r->stage, r->f->len, 0) != (ssize_t)r->f->len)
		return;
	want.gen = e + 1;
	want.by_device = 1;
	pr_vreport_init(&vr);
	pr_verify_range(r->stage, r->f->len, r->bs, &want, r->f->path,
			pr_dumpdir(r->ctx), "final-file-after-device-write",
			&vr);
	pr_verify_range(r->f->map, r->f->len, r->bs, &want, r->f->path,
			pr_dumpdir(r->ctx), "final-mapping-after-device-write",
			&vr);
	pr_result_verified(r->res, &vr, 1);
}

static int setup(struct race *r)
{
	r->bs = r->ctx->prof.block_size;
	if (pr_mrfile_open(&r->mf, r->ctx, r->c, MAP_SHARED, r->res))
		return -1;
	r->stage = aligned_alloc(4096, r->f->len);
	if (!r->stage) {
		pr_error(r->res, ENOMEM, "staging buffer");
		return -1;
	}
	r->n = r->f->len / r->bs;
	learn_op(r);
	stamp(r, r->f->map, 0, r->f->len, 1, PR_W_MMAP);
	if (r->src->map) {
		struct pr_stamp s = {.file_id = r->src->id,
				     .gen = 1,
				     .seed = r->seed,
				     .writer = PR_W_PWRITE};

		pr_blk_fill_range(r->src->map, r->src->len, r->bs, &s);
	}
	atomic_store(&r->epoch, 1);
	return pr_mrfile_register(&r->mf, r->c, r->res);
}

static void teardown(struct race *r)
{
	pr_mrfile_close(&r->mf);
	free(r->stage);
}

static void *(*const workers[NWORKERS])(void *) = {
	[W_LAYOUT] = layout_thread,
	[W_RDMA] = rdma_thread,
	[W_FILE] = file_thread,
};
static const char *const worker_names[NWORKERS] = {"layout", "rdma", "file"};

/* Release steps for the watchdog. */
static void wd_unmap(void *arg)
{
	struct race *r = arg;

	if (r->f->map && !munmap(r->f->map, r->f->len))
		r->f->map = NULL;
}

static void wd_deregister(void *arg)
{
	struct race *r = arg;
	struct ibv_mr *mr = r->mf.mr;

	r->mf.mr = NULL;
	if (mr)
		ibv_dereg_mr(mr);
}

static int past(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > t->tv_sec ||
	       (now.tv_sec == t->tv_sec && now.tv_nsec >= t->tv_nsec);
}

/*
 * Until the deadline, or until a worker stopped everything.  A race in
 * which no layout operation completed judged nothing: on a loaded machine
 * the time box is stretched (up to ten times) until one has.
 */
static void wait_deadline(struct race *r)
{
	struct timespec ms = {0, 50 * 1000 * 1000};
	int stretched = 0;

	while (!atomic_load(&r->stop)) {
		if (past(&r->deadline)) {
			if (r->res->ops ||
			    stretched >= 9 * r->ctx->prof.duration)
				break;
			r->deadline.tv_sec++;
			stretched++;
		}
		nanosleep(&ms, NULL);
	}
}

static void run_threads(struct race *r)
{
	pthread_t t[NWORKERS];
	int started = 0;
	struct pr_watchdog wd = {.w = r->w,
				 .threads = t,
				 .nw = NWORKERS,
				 .bound = r->ctx->prof.hang_bound,
				 .stop = &r->stop,
				 .unmap = wd_unmap,
				 .deregister = wd_deregister,
				 .arg = r,
				 .res = r->res};

	clock_gettime(CLOCK_MONOTONIC, &r->deadline);
	r->deadline.tv_sec += r->ctx->prof.duration;
	signal(SIGBUS, on_sigbus);
	signal(SIGSEGV, on_sigbus); /* the watchdog may unmap under a read */
	pr_watchdog_signal_setup();
	for (; started < NWORKERS; started++) {
		r->w[started].name = worker_names[started];
		if (pthread_create(&t[started], NULL, workers[started], r))
			break;
	}
	if (started < NWORKERS)
		stop_with(r, "pthread_create: %s%s", strerror(errno), "");
	wd.nw = started;
	if (pr_watchdog_start(&wd))
		stop_with(r, "starting the watchdog failed%s%s", "", "");
	wait_deadline(r);
	atomic_store(&r->stop, 1); /* traffic stops: the watchdog counts */
	/* never block on a thread the watchdog gave up on */
	r->abandoned = pr_join_watched(t, started, &wd);
	pr_watchdog_stop(&wd);
}

void pr_race_case(struct pr_ctx *ctx, const struct pr_case *c,
		  struct pr_result *res)
{
	struct race r = {.ctx = ctx, .res = res, .c = c, .seed = ctx->seed};

	r.f = &r.mf.f;
	r.src = &r.mf.src;
	pthread_rwlock_init(&r.restamp, NULL);
	pthread_mutex_init(&r.vr_lock, NULL);
	if (setup(&r))
		goto out;
	run_threads(&r);
	if (res->finding == PR_F_HANG) {
		if (r.abandoned)
			pr_error(
				res, 0,
				"a stuck call could not be released: the process is abandoned");
		else
			teardown(&r);
		return; /* the data after a forced release says nothing */
	}
	if (r.skip_errno) {
		pr_skip(res, "%s not supported on %s (%s)", c->op->name,
			res->fs, strerrorname_np(r.skip_errno));
		goto out;
	}
	if (r.error[0]) {
		pr_error(res, 0, "%s", r.error);
		goto out;
	}
	if (!res->ops) {
		pr_skip(res,
			"no %s completed in %d s: the machine is too loaded for this race",
			c->op->name, 10 * ctx->prof.duration);
		goto out;
	}
	final_check(&r);
	pr_note(res,
		"%llu %s, %llu transfers, %llu file reads in %d s (seed %llu)",
		(unsigned long long)res->ops, c->op->name,
		(unsigned long long)res->xfers,
		(unsigned long long)r.w[W_FILE].progress, ctx->prof.duration,
		(unsigned long long)ctx->seed);
	if (r.error[0])
		pr_error(res, 0, "%s", r.error);
out:
	teardown(&r);
}
