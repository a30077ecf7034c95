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

struct djudge {
	struct dr *d;
	enum judged what;
	size_t first;
	uint32_t g;
	struct pr_expect cand[3];
};

static void dax_block(void *arg, size_t k, struct pr_judgement *j)
{
	struct djudge *dj = arg;

	j->ncand = candidates(dj->d, dj->what, dj->first + k, dj->g, dj->cand,
			      &j->old);
	j->cand = dj->cand;
}

/*
 * Judge @nblk blocks of @buf, the first being block @first of what @what
 * reads, after the round: everything is quiet, so every block is judged
 * strictly against what the round may have left.
 */
void dr_judge(struct dr *d, enum judged what, const unsigned char *buf,
	      size_t first, size_t nblk, uint32_t g, const char *fname,
	      const char *label)
{
	struct djudge dj = {.d = d, .what = what, .first = first, .g = g};
	struct pr_judge_sink s = {.ctx = d->ctx,
				  .res = d->res,
				  .nsaid = &d->nsaid,
				  .fname = fname,
				  .label = label};

	pr_judge_range(&s, buf, nblk, d->bs, first * d->bs, dax_block, &dj);
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
