// SPDX-License-Identifier: GPL-2.0
/*
 * The reflink round of a DAX case (lib/race/daxrace.h), for operations
 * that take a source file (FICLONE, FICLONERANGE): the CPU control, no pin.
 * Each round:
 *
 *  1. A is written whole as generation g, the source S too;
 *  2. the CPU starts on A's MAP_SHARED mapping: loads of all of it, judged
 *     as they come, or stores of A's next generation (the stores are then
 *     A's rewrite);
 *  3. S is cloned into A (the whole file or a range); once a whole CPU
 *     pass has begun and ended after that, A is rewritten whole as g+1
 *     (pwrite, or the stores), then S is;
 *  4. the CPU stops (stores: after one more whole pass), and A (pread and
 *     mapping) must be A's g+1, S its g+1.
 *
 * While the round runs a load of A may show A's g, S's g where it was
 * cloned, or A's g+1 (a torn mix of them is excused); S's g+1 never: that
 * write went to S after the clone.  Afterwards any block of S in A, or of A
 * in S, is "cross-file".  Every block read through the mapping is also
 * counted by whose it was (dr_clone_summary()).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "block.h"
#include "daxstate.h"
#include "inject.h"
#include "judge.h"
#include "rng.h"

enum { SEEN_DURING, SEEN_AFTER };

int dr_clone_setup(struct dr *d)
{
	int rc;

	d->cbuf = aligned_alloc(4096, d->len);
	if (!d->cbuf)
		return -ENOMEM;
	rc = pr_file_open(d->c->backing, "src", d->len, S_ID, 0, &d->s);
	return rc;
}

/* S whole as generation @g. */
static int write_s(struct dr *d, uint32_t g)
{
	dr_stamp(d, d->stage, 0, d->len, S_ID, g, PR_W_PWRITE);
	return dr_pwrite_all(d, d->s.fd, d->stage, d->len, 0,
			     "pwrite the source");
}

/* --- whose block it was ----------------------------------------------------
 */

/* Whose block @blk is, in round @g; A's own from generation @own on. */
static enum dr_seen whose(struct dr *d, const unsigned char *blk, uint32_t g,
			  uint32_t own)
{
	struct pr_blk_hdr h;

	memcpy(&h, blk, sizeof(h));
	if (!pr_blk_hdr_valid(&h, d->bs)) {
		for (size_t i = 0; i < d->bs; i++)
			if (blk[i])
				return DR_SEEN_BROKEN;
		return DR_SEEN_ZERO;
	}
	if (!pr_blk_data_valid(blk, d->bs))
		return DR_SEEN_BROKEN;
	if (h.seed != d->seed)
		return DR_SEEN_OTHER;
	if (h.file_id == A_ID)
		return h.gen >= own ? DR_SEEN_OWN : DR_SEEN_OWN_STALE;
	if (h.file_id != S_ID)
		return DR_SEEN_OTHER;
	if (h.gen == g)
		return DR_SEEN_SRC_CLONED;
	return h.gen > g ? DR_SEEN_SRC_LATER : DR_SEEN_SRC_EARLIER;
}

static void count(struct dr *d, int when, const unsigned char *buf, uint32_t g)
{
	for (size_t i = 0; i < d->n; i++)
		d->seen[when][whose(d, buf + i * d->bs, g,
				    when == SEEN_AFTER ? g + 1 : g)]++;
}

/* --- judging ------------------------------------------------------------- */

enum cj { CJ_LOAD, CJ_A, CJ_S };

struct cjudge {
	struct dr *d;
	enum cj what;
	const unsigned char *buf;
	uint32_t g;
	struct pr_expect cand[3];
};

/* @e first among @n candidates when the block's header names it: a torn
 * block is then judged torn against its own header, not cross-file. */
static void header_first(const unsigned char *blk, struct pr_expect *c, int n)
{
	struct pr_blk_hdr h;

	memcpy(&h, blk, sizeof(h));
	for (int i = 1; i < n; i++)
		if (c[i].file_id == h.file_id && c[i].gen == h.gen) {
			struct pr_expect t = c[0];

			c[0] = c[i];
			c[i] = t;
			return;
		}
}

static void clone_block(void *arg, size_t k, struct pr_judgement *j)
{
	struct cjudge *cj = arg;
	struct dr *d = cj->d;
	int n = 0;

	switch (cj->what) {
	case CJ_LOAD: /* A as it was, as cloned, as rewritten; a mix */
		cj->cand[n++] = d->before[k];
		cj->cand[n++] = d->final1[k];
		if (d->op_only[k].file_id != A_ID)
			cj->cand[n++] = d->op_only[k];
		header_first(cj->buf + k * d->bs, cj->cand, n);
		j->allow = PR_EXF(PR_EX_IN_FLIGHT);
		break;
	case CJ_A:
		cj->cand[n++] = d->final1[k];
		j->old = &d->before[k];
		break;
	case CJ_S:
		cj->cand[n++] = (struct pr_expect){.file_id = S_ID,
						   .gen = cj->g + 1,
						   .offset = k * d->bs,
						   .seed = d->seed};
		break;
	}
	j->cand = cj->cand;
	j->ncand = n;
}

static void judge(struct dr *d, enum cj what, const unsigned char *buf,
		  uint32_t g, const char *fname, const char *label)
{
	struct cjudge cj = {.d = d, .what = what, .buf = buf, .g = g};
	struct pr_judge_sink s = {.ctx = d->ctx,
				  .res = d->res,
				  .nsaid = &d->nsaid,
				  .fname = fname,
				  .label = label};

	pr_judge_range(&s, buf, d->n, d->bs, 0, clone_block, &cj);
}

/* Self-test: S's next generation where A's mapping was read. */
static void inject(struct dr *d, uint32_t g)
{
	size_t i = d->n / 2;
	struct pr_stamp s = {.file_id = S_ID,
			     .gen = g + 1,
			     .offset = i * d->bs,
			     .seed = d->seed,
			     .writer = PR_W_PWRITE};

	if (!pr_inject_block(d->cbuf + i * d->bs, d->bs, d->cfg->inject, &s,
			     S_ID)) {
		pr_diag("self-test: %s (the source's later write) injected at %zu of a load",
			pr_inject_name(d->cfg->inject), i * d->bs);
		d->inject_done++;
	}
}

/* --- the CPU: the transfer thread's part ---------------------------------- */

static int cpu_pass(struct dr *d, int store)
{
	return CALL(d, W_XFER, store ? "CPU stores" : "CPU loads", 0, d->len,
		    store ? pr_core_copy(d->a.map, d->cbuf, d->len, 0)
			  : pr_core_copy(d->cbuf, d->a.map, d->len, 0));
}

/*
 * Round @r: loads of A's mapping, each judged, or stores of A's g+1 into
 * it, until the round's changes are done (stores: one more pass after).
 */
void dr_cpu_xfer(struct dr *d, uint32_t r)
{
	int store = d->cfg->xfer == PR_DAX_XFER_CPU_STORE;
	uint32_t g = 2 * r - 1;
	int rc;

	if (store)
		dr_stamp(d, d->cbuf, 0, d->len, A_ID, g + 1, PR_W_MMAP);
	do {
		uint32_t after_clone = atomic_load(&d->cloned) == r;

		rc = cpu_pass(d, store);
		if (!rc && after_clone)
			atomic_store(&d->passed, r);
		if (rc) { /* SIGBUS: A is never shorter than its length */
			d->cpu_faults++;
			pr_core_sleep_us(1000);
			continue;
		}
		d->loads++;
		if (store)
			continue;
		if (d->cfg->inject && !d->inject_done)
			inject(d, g);
		count(d, SEEN_DURING, d->cbuf, g);
		judge(d, CJ_LOAD, d->cbuf, g, d->a.path, "mapping-load-during");
	} while (atomic_load(&d->changed) != r && !pr_core_expired(&d->k));
	if (store) {
		rc = cpu_pass(d, store);
		d->cpu_faults += !!rc;
	}
	d->x_errno = rc ? -rc : 0;
	d->x_got = rc ? -1 : (ssize_t)d->len;
}

/* --- the layout thread's round -------------------------------------------- */

static void check_round(struct dr *d, uint32_t g, int judge_a)
{
	if (!judge_a)
		d->unjudged++;
	else if (!dr_pread_all(d, d->a.fd, d->rbuf, d->len, "pread"))
		judge(d, CJ_A, d->rbuf, g, d->a.path, "file-after-round");
	if (judge_a && !dr_map_copy(d, d->rbuf, d->a.map, d->len)) {
		count(d, SEEN_AFTER, d->rbuf, g);
		judge(d, CJ_A, d->rbuf, g, d->a.path, "mapping-after-round");
	}
	if (!dr_pread_all(d, d->s.fd, d->rbuf, d->len, "pread the source"))
		judge(d, CJ_S, d->rbuf, g, d->s.path, "source-after-round");
}

int dr_clone_round(struct dr *d, uint32_t r, uint64_t *s)
{
	struct pr_layout l = {.f = &d->a,
			      .src = &d->s,
			      .bs = d->bs,
			      .nblocks = d->n,
			      .model = d->op_only,
			      .src_model = d->spare};
	int store = d->cfg->xfer == PR_DAX_XFER_CPU_STORE;
	uint32_t g = 2 * r - 1;
	int rc;

	/* 1. A and S are generation g; the models */
	rc = dr_write_a(d, g);
	if (!rc)
		rc = write_s(d, g);
	if (rc)
		return dr_fail(d, "writing the files", -rc);
	pr_model_fill(d->before, d->n, d->bs, A_ID, g, d->seed);
	pr_model_fill(d->spare, d->n, d->bs, S_ID, g, d->seed);
	pr_model_fill(d->final1, d->n, d->bs, A_ID, g + 1, d->seed);
	memcpy(d->op_only, d->before, d->n * sizeof(*d->before));
	pr_rng_range(s, d->n, d->bs, &l.off, &l.len);
	/* self-test: no clone, so the injected block is the only one of S's
	 * that A's mapping can show */
	if (!d->cfg->inject)
		d->op->model(&l);

	/* 2. the CPU starts; 3. the clone follows closely, the rewrites */
	atomic_store(&d->go, r);
	while (atomic_load(&d->started) != r)
		;
	for (volatile uint64_t spin = pr_rng(s) % 4096; spin; spin--)
		;
	rc = d->cfg->inject ? 0
			    : CALL(d, W_LAYOUT, d->op->name, l.off, l.len,
				   d->op->apply(&l));
	if (rc == -EOPNOTSUPP || rc == -ENOTTY || rc == -EXDEV)
		d->k.skip_errno = -rc;
	else if (rc)
		dr_fail(d, d->op->name, -rc);
	else if (!d->cfg->inject)
		d->res->ops++;
	/* a whole pass over A's mapping after the clone, before the
	 * rewrites: the CPU has mapped what the clone left */
	atomic_store(&d->cloned, r);
	while (!rc && atomic_load(&d->passed) != r && !pr_core_expired(&d->k))
		pr_core_sleep_us(50);
	if (!rc && !store)
		rc = dr_write_a(d, g + 1);
	if (!rc)
		rc = write_s(d, g + 1);
	if (rc && !d->k.skip_errno && !d->k.error[0])
		dr_fail(d, "rewriting the files", -rc);
	atomic_store(&d->changed, r);

	/* 4. the CPU ends; everything is judged */
	while (atomic_load(&d->done) != r)
		pr_core_sleep_us(50);
	if (rc)
		return -1;
	/* stores: A is judged when the last whole pass went through */
	check_round(d, g, !store || d->x_got >= 0);
	d->rounds++;
	return 0;
}

void dr_clone_summary(struct dr *d)
{
	static const char *const names[DR_NSEEN] = {
		[DR_SEEN_OWN] = "A's own",
		[DR_SEEN_OWN_STALE] = "A's older than its rewrite (stale)",
		[DR_SEEN_SRC_CLONED] = "the source's as cloned",
		[DR_SEEN_SRC_LATER] = "the source's written after the clone",
		[DR_SEEN_SRC_EARLIER] = "the source's of an earlier round",
		[DR_SEEN_OTHER] = "another file's",
		[DR_SEEN_ZERO] = "zeros",
		[DR_SEEN_BROKEN] = "torn or corrupt",
	};
	static const char *const when[] = {"during the changes",
					   "after each round"};
	int store = d->cfg->xfer == PR_DAX_XFER_CPU_STORE;

	pr_note(d->res,
		"%llu rounds of %s, then A and the source rewritten whole; %llu CPU %s passes over A's mapping",
		(unsigned long long)d->rounds, d->op->name,
		(unsigned long long)d->loads, store ? "store" : "load");
	for (int w = store ? SEEN_AFTER : SEEN_DURING; w <= SEEN_AFTER; w++) {
		char line[512];
		size_t o = 0;

		for (int i = 0; i < DR_NSEEN; i++)
			if (d->seen[w][i] && o < sizeof(line))
				o += snprintf(line + o, sizeof(line) - o,
					      "%s%llu %s", o ? ", " : "",
					      (unsigned long long)d->seen[w][i],
					      names[i]);
		pr_note(d->res, "blocks A's mapping showed %s: %s", when[w],
			o ? line : "none read");
	}
	if (d->unjudged)
		pr_note(d->res,
			"%llu rounds not judged in A: the last store pass faulted",
			(unsigned long long)d->unjudged);
	if (d->cpu_faults)
		pr_fail(d->res, PR_F_ACCESS_ERROR,
			"%llu CPU passes over A's mapping faulted (SIGBUS), A never shorter than its %zu bytes",
			(unsigned long long)d->cpu_faults, d->len);
	if (d->cfg->inject && !d->inject_done && d->res->status == PR_PASS)
		pr_error(d->res, 0, "self-test: nothing was injected");
}
