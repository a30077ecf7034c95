// SPDX-License-Identifier: GPL-2.0
/* The judge: see judge.h. */
#include <stdio.h>
#include <string.h>

#include "judge.h"
#include "pinrace.h"

const char *pr_excuse_name(enum pr_excuse x)
{
	static const char *const names[PR_NEXCUSE] = {
		[PR_EX_NONE] = "strict",   [PR_EX_IN_FLIGHT] = "in-flight",
		[PR_EX_MOVED] = "moved",   [PR_EX_HOLES] = "holes",
		[PR_EX_SOURCE] = "source", [PR_EX_UNDEFINED] = "undefined",
	};

	return (unsigned int)x < PR_NEXCUSE ? names[x] : "?";
}

static int matches(const void *blk, size_t bs, const struct pr_expect *e)
{
	enum pr_class c = pr_verify_block(blk, bs, e, NULL);

	return e->gen == PR_GEN_HOLE ? c == PR_BLK_ZERO : c == PR_BLK_OK;
}

static int defined(const struct pr_expect *e)
{
	return e && e->gen != PR_GEN_HOLE && e->gen != PR_GEN_ANY;
}

/* What a block that is none of its candidates is, against the first and
 * the history. */
static enum pr_class classify(const void *blk, size_t bs,
			      const struct pr_judgement *j,
			      struct pr_blk_hdr *h)
{
	const struct pr_expect *want = &j->cand[0];
	enum pr_class c;

	if (defined(j->old) && matches(blk, bs, j->old))
		return want->by_device ? PR_BLK_LOST : PR_BLK_STALE;
	if (want->gen == PR_GEN_HOLE && !defined(j->old)) {
		c = pr_verify_block(blk, bs, want, h);
		return c == PR_BLK_ZERO ? PR_BLK_ZERO : PR_BLK_CORRUPT;
	}
	c = pr_verify_block(blk, bs, want->gen == PR_GEN_HOLE ? j->old : want,
			    h);
	if (c == PR_BLK_OK) /* it is the history after all */
		return PR_BLK_STALE;
	if (c == PR_BLK_FUTURE && !pr_blk_data_valid(blk, bs))
		return PR_BLK_TORN; /* newer, and caught mid-write */
	return c;
}

/* The context that would excuse a block of class @c. */
static enum pr_excuse excuse_for(enum pr_class c, const struct pr_blk_hdr *h,
				 const struct pr_judgement *j)
{
	switch (c) {
	case PR_BLK_TORN:
	case PR_BLK_CORRUPT:
	case PR_BLK_FUTURE:
		return PR_EX_IN_FLIGHT;
	case PR_BLK_ZERO:
		return PR_EX_HOLES;
	case PR_BLK_MISPLACED:
		return PR_EX_MOVED;
	case PR_BLK_CROSS:
		return h->file_id == j->src_id && h->seed == j->cand[0].seed
			       ? PR_EX_SOURCE
			       : PR_EX_NONE;
	default:
		return PR_EX_NONE; /* stale and lost are never excused */
	}
}

struct pr_verdict pr_judge(const void *blk, size_t bs,
			   const struct pr_judgement *j)
{
	struct pr_verdict v = {.cls = PR_BLK_OK, .why = PR_EX_NONE};
	struct pr_blk_hdr h = {0};
	int any = 0;
	enum pr_excuse x;

	for (int i = 0; i < j->ncand; i++) {
		if (j->cand[i].gen == PR_GEN_ANY) {
			any = 1;
			continue;
		}
		if (matches(blk, bs, &j->cand[i])) {
			v.strict = !j->allow && !any;
			return v;
		}
	}
	if (any) {
		v.why = PR_EX_UNDEFINED;
		return v;
	}
	v.strict = !j->allow;
	v.cls = classify(blk, bs, j, &h);
	x = excuse_for(v.cls, &h, j);
	if (x != PR_EX_NONE && (j->allow & PR_EXF(x)))
		v.why = x;
	return v;
}

void pr_evidence_add(struct pr_evidence *acc, const struct pr_evidence *add)
{
	acc->strict += add->strict;
	for (int x = 0; x < PR_NEXCUSE; x++)
		for (int c = 0; c < PR_NCLASS; c++)
			acc->excused[x][c] += add->excused[x][c];
	acc->reads += add->reads;
	acc->quiet_reads += add->quiet_reads;
}

/* The first bad blocks of a case, worded like fio and dumped. */
static void say(const struct pr_judge_sink *s, const void *blk, size_t bs,
		uint64_t pos, const struct pr_judgement *j, enum pr_class c,
		struct pr_vreport *vr)
{
	struct pr_expect e = j->cand[0];
	struct pr_vreport one;

	if (*s->nsaid >= PR_VERIFY_MAX_DUMPS)
		return;
	(*s->nsaid)++;
	if (e.gen == PR_GEN_HOLE && defined(j->old))
		e = *j->old; /* say what it held */
	e.offset = pos;
	pr_vreport_init(&one);
	pr_verify_range(blk, bs, bs, &e, s->fname, pr_dumpdir(s->ctx), s->label,
			&one);
	if (!vr->first_msg[0])
		memcpy(vr->first_msg, one.first_msg, sizeof(vr->first_msg));
	vr->ndumped += one.ndumped;
	pr_diag("%s: block at %llu is %s (%d candidate%s%s)", s->label,
		(unsigned long long)pos, pr_class_name(c), j->ncand,
		j->ncand > 1 ? "s" : "",
		j->allow ? ", not excused here" : ", judged strictly");
}

uint64_t pr_judge_range(const struct pr_judge_sink *s, const void *buf,
			size_t nblk, size_t bs, uint64_t pos0, pr_judge_get get,
			void *arg)
{
	struct pr_evidence ev = {0};
	struct pr_vreport vr;
	uint64_t bad = 0;

	pr_vreport_init(&vr);
	for (size_t k = 0; k < nblk; k++) {
		const unsigned char *blk = (const unsigned char *)buf + k * bs;
		struct pr_judgement j = {0};
		struct pr_verdict v;

		get(arg, k, &j);
		v = pr_judge(blk, bs, &j);
		vr.nblocks++;
		ev.strict += v.strict;
		if (v.why != PR_EX_NONE) {
			ev.excused[v.why][v.cls]++;
			vr.count[PR_BLK_OK]++;
			continue;
		}
		vr.count[v.cls]++;
		if (v.cls == PR_BLK_OK)
			continue;
		bad++;
		if (vr.first_bad < 0) {
			vr.first_bad = pos0 + k * bs;
			vr.first_class = v.cls;
		}
		if (s->lock)
			pthread_mutex_lock(s->lock);
		say(s, blk, bs, pos0 + k * bs, &j, v.cls, &vr);
		if (s->lock)
			pthread_mutex_unlock(s->lock);
	}
	if (s->lock)
		pthread_mutex_lock(s->lock);
	if (bad && !s->res->ev.first_bad_read) {
		s->res->ev.first_bad_ops = s->res->ops;
		s->res->ev.first_bad_read = s->res->ev.reads + 1;
	}
	pr_result_verified(s->res, &vr, 1);
	pr_evidence_add(&s->res->ev, &ev);
	if (s->lock)
		pthread_mutex_unlock(s->lock);
	return bad;
}

int pr_judge_spliced(const void *blk, size_t bs,
		     const unsigned char *const *versions, int nv)
{
	const unsigned char *p = blk;
	size_t pre[8], suf[8];

	if (nv > 8)
		nv = 8;
	for (int v = 0; v < nv; v++) {
		const unsigned char *img = versions[v];

		for (pre[v] = 0; pre[v] < bs && p[pre[v]] == img[pre[v]];
		     pre[v]++)
			;
		for (suf[v] = 0;
		     suf[v] < bs && p[bs - 1 - suf[v]] == img[bs - 1 - suf[v]];
		     suf[v]++)
			;
	}
	for (int a = 0; a < nv; a++)
		for (int b = 0; b < nv; b++)
			if (pre[a] + suf[b] >= bs)
				return 1;
	return 0;
}
