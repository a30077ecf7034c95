// SPDX-License-Identifier: GPL-2.0
/* Per-range epochs: see epochs.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "epochs.h"
#include "judge.h"

int pr_epochs_init(struct pr_epochs *e, size_t n, int gens, uint32_t gen0)
{
	memset(e, 0, sizeof(*e));
	e->n = n;
	e->mem = calloc(PR_EPOCH_RING, n);
	if (gens)
		e->gen = calloc(n, sizeof(*e->gen));
	if (!e->mem || (gens && !e->gen))
		return -ENOMEM;
	for (int k = 0; k < PR_EPOCH_RING; k++)
		e->ring[k].allow = e->mem + k * n;
	for (size_t i = 0; gens && i < n; i++)
		atomic_store(&e->gen[i], gen0);
	return 0;
}

void pr_epochs_free(struct pr_epochs *e)
{
	free(e->mem);
	free((void *)e->gen);
	e->mem = NULL;
	e->gen = NULL;
}

void pr_epochs_open(struct pr_epochs *e, size_t b0, size_t b1,
		    const uint8_t *allow)
{
	uint64_t k = atomic_load(&e->seq) / 2 % PR_EPOCH_RING;

	e->ring[k].b0 = b0;
	e->ring[k].b1 = b1;
	if (allow)
		memcpy(e->ring[k].allow, allow, e->n);
	else
		for (size_t i = 0; i < e->n; i++)
			e->ring[k].allow[i] =
				i >= b0 && i < b1 ? PR_EXF(PR_EX_IN_FLIGHT) : 0;
	atomic_fetch_add(&e->seq, 1); /* odd: published */
}

void pr_epochs_close(struct pr_epochs *e, size_t b0, size_t b1, uint32_t gen)
{
	for (size_t i = b0; gen && e->gen && i < b1; i++)
		atomic_store(&e->gen[i], gen);
	atomic_fetch_add(&e->seq, 1);
}

uint32_t pr_epochs_gen(const struct pr_epochs *e, size_t i)
{
	return atomic_load(&e->gen[i]);
}

unsigned int pr_epochs_allow(struct pr_epochs *e, const struct pr_epoch_snap *s,
			     size_t i)
{
	uint64_t lo = s->seq0 / 2, hi, now;
	unsigned int allow = 0;

	if (s->seq1 == s->seq0 && !(s->seq0 & 1))
		return 0;	/* nothing opened or closed during the read */
	hi = (s->seq1 - 1) / 2; /* the last window opened by then */
	now = atomic_load(&e->seq) / 2;
	if (hi - lo + 1 >= PR_EPOCH_RING / 2 || now - lo >= PR_EPOCH_RING - 1)
		return PR_EXF_ALL; /* too many to tell apart: all in flight */
	for (uint64_t k = lo; k <= hi; k++)
		allow |= e->ring[k % PR_EPOCH_RING].allow[i];
	return allow;
}
