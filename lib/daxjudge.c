// SPDX-License-Identifier: GPL-2.0
/*
 * Judging a DAX round: the models of what A may hold after the change
 * (the transfer's data landed before or after it), and every block read
 * against them.
 */
#include <stdio.h>
#include <string.h>

#include "daxstate.h"

/* --- judging ------------------------------------------------------------ */

static int matches(const unsigned char *blk, size_t bs,
		   const struct pr_expect *e)
{
	if (e->gen == PR_GEN_ANY)
		return 1;
	if (e->gen == PR_GEN_HOLE)
		return pr_verify_block(blk, bs, e, NULL) == PR_BLK_ZERO;
	return pr_verify_block(blk, bs, e, NULL) == PR_BLK_OK;
}

/* Why a block matched none of its candidates: judged against @want, and
 * against @old (its content before the change) for history. */
static enum pr_class why_bad(const unsigned char *blk, size_t bs,
			     const struct pr_expect *want,
			     const struct pr_expect *old)
{
	enum pr_class c;

	if (old && old->gen != PR_GEN_HOLE && old->gen != PR_GEN_ANY &&
	    matches(blk, bs, old))
		return want->by_device ? PR_BLK_LOST : PR_BLK_STALE;
	c = pr_verify_block(blk, bs,
			    want->gen == PR_GEN_HOLE && old ? old : want, NULL);
	return c == PR_BLK_OK ? PR_BLK_STALE : c;
}

/* The candidates for block @i of what @what reads; returns how many. */
static int candidates(struct dr *d, enum judged what, size_t i, uint32_t g,
		      struct pr_expect *out, const struct pr_expect **old)
{
	size_t pos = i * d->bs;
	int writes = d->cfg->xfer == PR_DAX_XFER_ODIRECT ||
		     d->cfg->xfer == PR_DAX_XFER_RDMA_WRITE;
	int n = 0;

	*old = NULL;
	switch (what) {
	case J_OTHER:
		out[n++] = (struct pr_expect){.file_id = B_ID,
					      .gen = g,
					      .offset = pos,
					      .seed = d->seed};
		break;
	case J_READ: /* A as it was, or as the change left it */
		out[n++] = d->before[i];
		out[n++] = d->op_only[i];
		break;
	case J_FILE:
		*old = &d->before[i];
		if (!writes) {
			out[n++] = d->op_only[i];
			break;
		}
		out[n++] = d->final2[i];
		out[n++] = d->final1[i];
		/* where the transfer did not get to, the change alone */
		if (d->x_got < 0 || pos >= d->x_off + (size_t)d->x_got)
			out[n++] = d->op_only[i];
		break;
	}
	return n;
}

/*
 * Judge @nblk blocks of @buf, the first being block @first of what @what
 * reads; fold the counts into the result, word the first few bad ones.
 */
void dr_judge(struct dr *d, enum judged what, const unsigned char *buf,
	      size_t first, size_t nblk, uint32_t g, const char *fname,
	      const char *label)
{
	struct pr_vreport vr, say;

	pr_vreport_init(&vr);
	for (size_t k = 0; k < nblk; k++) {
		const unsigned char *blk = buf + k * d->bs;
		const struct pr_expect *old;
		struct pr_expect cand[3];
		int nc = candidates(d, what, first + k, g, cand, &old), ok = 0;
		enum pr_class c;

		for (int j = 0; j < nc && !ok; j++)
			ok = matches(blk, d->bs, &cand[j]);
		vr.nblocks++;
		if (ok) {
			vr.count[PR_BLK_OK]++;
			continue;
		}
		c = why_bad(blk, d->bs, &cand[0], old);
		vr.count[c]++;
		if (vr.first_bad < 0) {
			vr.first_bad = (first + k) * d->bs;
			vr.first_class = c;
		}
		if (d->nsaid++ < PR_VERIFY_MAX_DUMPS) {
			struct pr_expect e = cand[0];

			e.offset = (first + k) * d->bs;
			if (e.gen == PR_GEN_HOLE && old)
				e = *old; /* say what it held */
			pr_vreport_init(&say);
			pr_verify_range(blk, d->bs, d->bs, &e, fname,
					pr_dumpdir(d->ctx), label, &say);
			if (vr.first_msg[0] == '\0')
				memcpy(vr.first_msg, say.first_msg,
				       sizeof(vr.first_msg));
			pr_diag("%s: block %zu is %s (%d candidate%s: %s)",
				label, first + k, pr_class_name(c), nc,
				nc > 1 ? "s" : "",
				cand[0].gen == PR_GEN_HOLE ? "a hole first"
							   : "data first");
		}
		if (vr.first_class == PR_BLK_OK)
			vr.first_class = c;
	}
	pr_result_verified(d->res, &vr, 1);
}

/* --- models ------------------------------------------------------------- */

static void set_xfer(struct dr *d, struct pr_expect *m, uint32_t gen)
{
	for (size_t o = d->x_off; o < d->x_off + d->x_len; o += d->bs)
		m[o / d->bs] = (struct pr_expect){.file_id = A_ID,
						  .gen = gen,
						  .offset = o,
						  .seed = d->seed,
						  .by_device = 1};
}

/* op_only, final1 (transfer, then change), final2 (change, then
 * transfer) from before. */
void dr_build_models(struct dr *d, struct pr_layout *l, uint32_t g)
{
	memcpy(d->op_only, d->before, d->n * sizeof(*d->before));
	l->model = d->op_only;
	d->op->model(l);
	memcpy(d->final2, d->op_only, d->n * sizeof(*d->before));
	memcpy(d->final1, d->before, d->n * sizeof(*d->before));
	if (d->cfg->xfer == PR_DAX_XFER_ODIRECT ||
	    d->cfg->xfer == PR_DAX_XFER_RDMA_WRITE) {
		set_xfer(d, d->final2, g + 1);
		set_xfer(d, d->final1, g + 1);
	}
	l->model = d->final1;
	d->op->model(l);
}
