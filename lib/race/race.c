// SPDX-License-Identifier: GPL-2.0
/* The page-cache race: layout changes against RDMA traffic and file reads. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "backing.h"
#include "epochs.h"
#include "inject.h"
#include "layout.h"
#include "mrfile.h"
#include "mrmode.h"
#include "race.h"
#include "rng.h"
#include "verbs.h"
#include "xferverdict.h"

enum { W_LAYOUT, W_RDMA, W_FILE, NWORKERS };

struct race {
	struct pr_race_core k;
	struct pr_ctx *ctx;
	struct pr_result *res;
	const struct pr_case *c;
	struct pr_mrfile mf;
	struct pr_file *f, *src; /* &mf.f, &mf.src */
	size_t bs, n;
	uint64_t seed;
	struct pr_epochs layout;  /* the layout thread's windows, generations */
	struct pr_epochs dev;	  /* the device writer's windows */
	uint32_t next_gen;	  /* the layout thread's */
	pthread_rwlock_t restamp; /* device writes vs the rewrite */
	int nsaid;		  /* bad blocks worded so far */
	void *stage;		  /* the layout thread's rewrite buffer */
	struct pr_expect *model;  /* the layout thread's: 2 n */
	uint8_t *allow;		  /* the layout thread's: n */
	enum pr_inject inject;	  /* self-test: a fault in a live read */
	_Atomic int injected;
	_Atomic int denied; /* the device was refused memory: QP in error */
};

/*
 * The window of one operation on [l->off, +l->len): the blocks it acts on
 * or its model changes, each with what a reader may meet there until the
 * rewrite is done.  Returns the span [*b0, *b1) to rewrite.
 */
static void op_window(struct race *r, struct pr_layout *l, size_t *b0,
		      size_t *b1)
{
	struct pr_expect *m = r->model;

	pr_model_fill(m, r->n, r->bs, r->f->id, 1, 0);
	pr_model_fill(m + r->n, r->n, r->bs, r->src->id, 1, 0);
	l->model = m;
	l->src_model = m + r->n;
	r->c->op->model(l);
	*b0 = l->off / r->bs;
	*b1 = (l->off + l->len) / r->bs;
	memset(r->allow, 0, r->n);
	for (size_t i = 0; i < r->n; i++) {
		uint8_t a = 0;

		if (m[i].gen == PR_GEN_HOLE || m[i].gen == PR_GEN_ANY)
			a |= PR_EXF(PR_EX_HOLES);
		if (m[i].file_id == r->src->id)
			a |= PR_EXF(PR_EX_SOURCE);
		else if (m[i].offset != i * r->bs)
			a |= PR_EXF(PR_EX_MOVED);
		if (!a && (i < *b0 || i >= *b1))
			continue;
		r->allow[i] = a | PR_EXF(PR_EX_IN_FLIGHT);
		*b0 = i < *b0 ? i : *b0;
		*b1 = i + 1 > *b1 ? i + 1 : *b1;
	}
}

/* Stamp blocks [@b0, @b1) into @buf (block b0 first), each as its own
 * generation (@gen, or the block's current one when 0). */
static void stamp(struct race *r, void *buf, size_t b0, size_t b1, uint32_t gen,
		  int writer)
{
	for (size_t i = b0; i < b1; i++) {
		struct pr_stamp s = {.file_id = r->f->id,
				     .gen = gen ? gen
						: pr_epochs_gen(&r->layout, i),
				     .offset = i * r->bs,
				     .seed = r->seed,
				     .writer = writer};

		pr_blk_fill((char *)buf + (i - b0) * r->bs, r->bs, &s);
	}
}

/* A quiet window after every `burst` operations. */
static void pause_quietly(struct race *r)
{
	int ms = r->ctx->prof.quiet_ms;

	if (!ms || r->res->ops % r->ctx->prof.burst)
		return;
	for (int i = 0; i < ms && !pr_core_expired(&r->k); i += 5)
		pr_core_sleep_us(5000);
}

static void *layout_thread(void *arg)
{
	struct race *r = arg;
	struct pr_worker *w = &r->k.w[W_LAYOUT];
	uint64_t s = r->seed ^ 0x1111;
	struct pr_layout l = {
		.f = r->f, .src = r->src, .bs = r->bs, .nblocks = r->n};

	while (!pr_core_expired(&r->k)) {
		uint32_t e = ++r->next_gen;
		size_t b0, b1, len;
		int rc;

		/* clear of the last block: collapse must leave something */
		pr_rng_range(&s, r->n > 1 ? r->n - 1 : 1, r->bs, &l.off,
			     &l.len);
		op_window(r, &l, &b0, &b1);
		len = (b1 - b0) * r->bs;
		pr_epochs_open(&r->layout, b0, b1, r->allow);
		rc = PR_CALL(w, r->c->op->name, l.off, l.len,
			     r->c->op->apply(&l));
		if (rc == -EILSEQ) { /* dedupe: the device rewrote the range */
			pr_epochs_close(&r->layout, b0, b1, 0);
			continue;
		}
		if (rc == -EOPNOTSUPP || rc == -ENOTTY)
			r->k.skip_errno = -rc;
		else if (rc)
			pr_core_fail(&r->k, "%s: %s", r->c->op->name,
				     strerror(-rc));
		if (rc) {
			pr_epochs_close(&r->layout, b0, b1, 0);
			atomic_store(&r->k.stop, 1);
			break;
		}
		r->res->ops++;
		stamp(r, r->stage, b0, b1, e, PR_W_PWRITE);
		pthread_rwlock_wrlock(&r->restamp);
		rc = PR_CALL(w, "pwrite", b0 * r->bs, len,
			     pwrite(r->f->fd, r->stage, len, b0 * r->bs)) ==
		     (ssize_t)len;
		/* closed before device writes stamp the new generation */
		pr_epochs_close(&r->layout, b0, b1, rc ? e : 0);
		pthread_rwlock_unlock(&r->restamp);
		if (!rc)
			pr_core_fail(&r->k, "pwrite generation: %s",
				     strerror(errno));
		pause_quietly(r);
	}
	return NULL;
}

/* A work request that never completed: a hang of the device side. */
static void xfer_hang(struct race *r, const char *what, size_t off, size_t len)
{
	struct pr_result *res = r->res;

	pthread_mutex_lock(&r->k.lock);
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
	pthread_mutex_unlock(&r->k.lock);
	atomic_store(&r->k.stop, 1);
}

/* The device was refused memory the MR covers, every page of it mapped
 * and no layout change in flight: the kernel failed the device. */
static void xfer_denied(struct race *r, const char *what, const char *where)
{
	atomic_store(&r->denied, 1);
	pthread_mutex_lock(&r->k.lock);
	pr_fail(r->res, PR_F_ACCESS_ERROR,
		"%s denied with the layout standing still: %s", what, where);
	pthread_mutex_unlock(&r->k.lock);
	atomic_store(&r->k.stop, 1);
}

/*
 * One RDMA transfer.  A completion error while the layout moved is not a
 * finding (an ODP fault past a momentary EOF): start the device side
 * afresh and go on.  Returns 0, 1 (raced: nothing to judge), -1 (stop).
 */
static int rdma_xfer(struct race *r, int write, size_t off, size_t len,
		     uint64_t seq0)
{
	const char *what = pr_mrfile_xfer_name(&r->mf, write);
	char err[256], where[512];
	enum pr_xfer_verdict v;
	uint64_t now;
	int rc;

	rc = PR_CALL(&r->k.w[W_RDMA], what, off, len,
		     pr_mrfile_xfer(&r->mf, write, off, len,
				    r->ctx->prof.cqe_timeout_ms, err,
				    sizeof(err)));
	if (!rc) {
		r->res->xfers++;
		return 0;
	}
	now = atomic_load(&r->layout.seq);
	v = pr_xfer_verdict(rc, seq0, now);
	if (v == PR_XV_RACED)
		return pr_mrfile_reopen(&r->mf, r->ctx, r->c, r->res) ? -1 : 1;
	if (v == PR_XV_HANG) {
		xfer_hang(r, what, off, len);
		return -1;
	}
	snprintf(
		where, sizeof(where),
		"%s at %zu+%zu (layout seq %llu at post, %llu now, generation %u)",
		err, off, len, (unsigned long long)seq0,
		(unsigned long long)now, r->next_gen);
	if (v == PR_XV_DENIED)
		xfer_denied(r, what, where);
	else
		pr_core_fail(&r->k, "%s: %s", what, where);
	return -1;
}

/* A read of blocks [b0, ...): what each had before it, what overlapped. */
struct rread {
	struct race *r;
	size_t b0;
	uint32_t *e0;
	struct pr_epoch_snap ls, ds;
	int by_device; /* the final check: the device wrote gen */
	uint32_t gen;  /* not 0: every block is this generation */
	int quiet;     /* no window overlapped any block */
};

static void read_begin(struct race *r, struct rread *rd, size_t off, size_t len,
		       uint32_t *e0)
{
	*rd = (struct rread){.r = r, .b0 = off / r->bs, .e0 = e0};
	pr_epochs_begin(&r->layout, &rd->ls);
	pr_epochs_begin(&r->dev, &rd->ds);
	for (size_t i = 0; i < len / r->bs; i++)
		e0[i] = pr_epochs_gen(&r->layout, rd->b0 + i);
}

static void read_end(struct race *r, struct rread *rd)
{
	pr_epochs_end(&r->layout, &rd->ls);
	pr_epochs_end(&r->dev, &rd->ds);
	rd->quiet = 1;
}

static void read_block(void *arg, size_t k, struct pr_judgement *j)
{
	struct rread *rd = arg;
	struct race *r = rd->r;
	size_t i = rd->b0 + k;
	static __thread struct pr_expect e;

	e = (struct pr_expect){.file_id = r->f->id,
			       .gen = rd->gen ? rd->gen : rd->e0[k],
			       .offset = i * r->bs,
			       .seed = r->seed,
			       .by_device = rd->by_device};
	j->cand = &e;
	j->ncand = 1;
	j->src_id = r->src->id;
	if (rd->gen)
		return; /* the final check: everything quiet */
	j->allow = pr_epochs_allow(&r->layout, &rd->ls, i) |
		   pr_epochs_allow(&r->dev, &rd->ds, i);
	if (j->allow)
		rd->quiet = 0;
}

/* Judge a read of @len bytes at @off. */
static void judge_read(struct race *r, struct rread *rd, const void *buf,
		       size_t len, const char *label)
{
	struct pr_judge_sink s = {.ctx = r->ctx,
				  .res = r->res,
				  .lock = &r->k.lock,
				  .nsaid = &r->nsaid,
				  .fname = r->f->path,
				  .label = label};

	pr_judge_range(&s, buf, len / r->bs, r->bs, rd->b0 * r->bs, read_block,
		       rd);
	if (rd->gen)
		return;
	pthread_mutex_lock(&r->k.lock);
	r->res->ev.reads++;
	r->res->ev.quiet_reads += rd->quiet;
	pthread_mutex_unlock(&r->k.lock);
}

/* Each block's current generation, through the device: never older. */
static int device_write(struct race *r, size_t off, size_t len)
{
	size_t b0 = off / r->bs, b1 = (off + len) / r->bs;
	int rc;

	pthread_rwlock_rdlock(&r->restamp);
	stamp(r, r->mf.buf, b0, b1, 0, PR_W_RDMA);
	pr_epochs_open(&r->dev, b0, b1, NULL);
	rc = rdma_xfer(r, 1, off, len, atomic_load(&r->layout.seq));
	pr_epochs_close(&r->dev, b0, b1, 0);
	pthread_rwlock_unlock(&r->restamp);
	return rc;
}

static void *rdma_thread(void *arg)
{
	struct race *r = arg;
	uint64_t s = r->seed ^ 0x2222;
	uint32_t *e0 = calloc(r->n, sizeof(*e0));

	while (e0 && !pr_core_expired(&r->k)) {
		struct rread rd;
		size_t off, len;
		int rc;

		pr_rng_range(&s, r->n, r->bs, &off, &len);
		if ((pr_rng(&s) & 1) || !r->c->mr->device_writes) {
			read_begin(r, &rd, off, len, e0);
			rc = rdma_xfer(r, 0, off, len, rd.ls.seq0);
			read_end(r, &rd);
			if (!rc)
				judge_read(r, &rd, r->mf.buf, len,
					   "race-device-read");
		} else {
			rc = device_write(r, off, len);
		}
		if (rc < 0)
			break;
	}
	free(e0);
	return NULL;
}

/*
 * Self-test: the fault the case names, once, in a block of a live file
 * read that no window overlapped (judged strictly), of generation 2 or
 * more (a stale block is its previous one).
 */
static void inject(struct race *r, struct rread *rd, void *buf, size_t len)
{
	for (size_t k = 0; k < len / r->bs; k++) {
		size_t i = rd->b0 + k;
		struct pr_stamp s = {.file_id = r->f->id,
				     .gen = rd->e0[k],
				     .offset = i * r->bs,
				     .seed = r->seed,
				     .writer = PR_W_PWRITE};

		if (pr_epochs_allow(&r->layout, &rd->ls, i) ||
		    pr_epochs_allow(&r->dev, &rd->ds, i) || s.gen < 2)
			continue;
		if (pr_inject_block((char *)buf + k * r->bs, r->bs, r->inject,
				    &s, r->src->id))
			continue;
		pr_diag("self-test: %s injected at %zu of a live %s read",
			pr_inject_name(r->inject), i * r->bs, r->f->path);
		atomic_store(&r->injected, 1);
		return;
	}
}

static void *file_thread(void *arg)
{
	struct race *r = arg;
	struct pr_worker *w = &r->k.w[W_FILE];
	uint64_t s = r->seed ^ 0x3333;
	void *buf = malloc(r->f->len);
	uint32_t *e0 = calloc(r->n, sizeof(*e0));

	while (buf && e0 && !pr_core_expired(&r->k)) {
		int by_map = pr_rng(&s) & 1;
		struct rread rd;
		size_t off, len;
		ssize_t got;

		pr_rng_range(&s, r->n, r->bs, &off, &len);
		read_begin(r, &rd, off, len, e0);
		if (by_map)
			got = PR_CALL(w, "mapping read", off, len,
				      pr_core_copy(buf, (char *)r->f->map + off,
						   len, 0))
				      ? -1 /* past a momentary EOF */
				      : (ssize_t)len;
		else
			got = PR_CALL(w, "pread", off, len,
				      pread(r->f->fd, buf, len, off));
		read_end(r, &rd);
		if (got == (ssize_t)len && r->inject &&
		    !atomic_load(&r->injected))
			inject(r, &rd, buf, len);
		if (got == (ssize_t)len)
			judge_read(r, &rd, buf, len,
				   by_map ? "race-mapping-read"
					  : "race-file-read");
	}
	free(buf);
	free(e0);
	return NULL;
}

/* Quiet again: the device reads every block's last generation, then
 * writes one more, which the file and the mapping must show. */
static void final_check(struct race *r)
{
	uint32_t *e0 = calloc(r->n, sizeof(*e0));
	struct rread rd;

	if (!e0)
		return;
	if (atomic_load(&r->denied)) {
		/* the denial left the QP in the error state: every later
		 * request would be flushed, a fault of ours, not the kernel's
		 */
		pr_note(r->res, "no final device check: the device was denied");
		goto out;
	}
	read_begin(r, &rd, 0, r->f->len, e0);
	if (rdma_xfer(r, 0, 0, r->f->len, rd.ls.seq0))
		goto out;
	judge_read(r, &rd, r->mf.buf, r->f->len, "final-device-read");
	if (!r->c->mr->device_writes)
		goto out;
	rd.gen = ++r->next_gen;
	rd.by_device = 1;
	stamp(r, r->mf.buf, 0, r->n, rd.gen, PR_W_RDMA);
	if (rdma_xfer(r, 1, 0, r->f->len, rd.ls.seq0) ||
	    pread(r->f->fd, r->stage, r->f->len, 0) != (ssize_t)r->f->len)
		goto out;
	judge_read(r, &rd, r->stage, r->f->len,
		   "final-file-after-device-write");
	judge_read(r, &rd, r->f->map, r->f->len,
		   "final-mapping-after-device-write");
out:
	free(e0);
}

static int setup(struct race *r)
{
	r->bs = r->ctx->prof.block_size;
	if (pr_mrfile_open(&r->mf, r->ctx, r->c, MAP_SHARED, r->res))
		return -1;
	r->n = r->f->len / r->bs;
	r->stage = aligned_alloc(4096, r->f->len);
	r->model = calloc(2 * r->n, sizeof(*r->model));
	r->allow = calloc(r->n, 1);
	if (!r->stage || !r->model || !r->allow ||
	    pr_epochs_init(&r->layout, r->n, 1, 1) ||
	    pr_epochs_init(&r->dev, r->n, 0, 0)) {
		pr_error(r->res, ENOMEM, "race state");
		return -1;
	}
	r->next_gen = 1;
	stamp(r, r->f->map, 0, r->n, 1, PR_W_MMAP);
	if (r->src->map) {
		struct pr_stamp s = {.file_id = r->src->id,
				     .gen = 1,
				     .seed = r->seed,
				     .writer = PR_W_PWRITE};

		pr_blk_fill_range(r->src->map, r->src->len, r->bs, &s);
	}
	return pr_mrfile_register(&r->mf, r->c, r->res);
}

static void teardown(struct race *r)
{
	pr_mrfile_close(&r->mf);
	pr_epochs_free(&r->layout);
	pr_epochs_free(&r->dev);
	free(r->stage);
	free(r->model);
	free(r->allow);
}

void pr_race_case(struct pr_ctx *ctx, const struct pr_case *c,
		  struct pr_result *res)
{
	struct race r = {.ctx = ctx, .res = res, .c = c, .seed = ctx->seed};
	struct pr_race_core *k = &r.k;

	pr_core_init(k, ctx, res);
	k->nw = NWORKERS;
	k->names[W_LAYOUT] = "layout";
	k->names[W_RDMA] = c->mr->ops ? "device" : "rdma";
	k->names[W_FILE] = "file";
	k->fn[W_LAYOUT] = layout_thread;
	k->fn[W_RDMA] = rdma_thread;
	k->fn[W_FILE] = file_thread;
	k->arg = &r;
	k->map = &r.mf.f.map;
	k->map_len = 0; /* set once the file is open */
	k->mr = &r.mf.mr;
	k->stretch = 1;
	r.f = &r.mf.f;
	r.src = &r.mf.src;
	if (c->variant && c->variant->priv)
		r.inject = *(const enum pr_inject *)c->variant->priv;
	pthread_rwlock_init(&r.restamp, NULL);
	if (setup(&r))
		goto out;
	k->map_len = r.f->len;
	pr_core_run(k);
	switch (pr_core_end(k, c->op->name)) {
	case PR_CORE_ABANDONED:
		return;
	case PR_CORE_DONE:
		goto out;
	case PR_CORE_GO:
		break;
	}
	if (!res->ops) {
		pr_core_inconclusive(
			res,
			"no %s completed in %d s: the machine is too loaded for this race",
			c->op->name, 10 * ctx->prof.duration);
		goto out;
	}
	final_check(&r);
	pr_note(res,
		"%llu %s, %llu transfers, %llu file reads in %d s (seed %llu); %llu of %llu reads met no layout change",
		(unsigned long long)res->ops, c->op->name,
		(unsigned long long)res->xfers,
		(unsigned long long)k->w[W_FILE].progress, ctx->prof.duration,
		(unsigned long long)ctx->seed,
		(unsigned long long)res->ev.quiet_reads,
		(unsigned long long)res->ev.reads);
	if (r.inject && !atomic_load(&r.injected) && res->status == PR_PASS)
		pr_error(
			res, 0,
			"self-test: nothing was injected (no strict block of generation 2 or more was read)");
	pr_core_conclude(k, "every read met a layout change");
out:
	teardown(&r);
}
