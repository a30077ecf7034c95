/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per-range epochs: which blocks a reader may have met while they were
 * being changed.  A writer thread (the layout thread; the device writer
 * has its own set) opens a window over a range of blocks, saying block by
 * block what a reader may meet there while it is open (PR_EXF() bits of
 * lib/blocks/judge.h), changes the blocks, and closes the window with their new
 * generation.  A reader takes a snapshot before it reads (the sequence and
 * each block's last complete generation) and afterwards asks, block by
 * block, what the windows that overlapped the read excuse.  Blocks outside
 * every such window are judged strictly whatever happens elsewhere.
 */
#ifndef PR_EPOCHS_H
#define PR_EPOCHS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define PR_EPOCH_RING 16

struct pr_epochs {
	size_t n;
	_Atomic uint32_t *gen; /* per block; NULL: this set keeps none */
	_Atomic uint64_t seq;  /* odd while a window is open; one writer */
	struct {
		size_t b0, b1;
		uint8_t *allow; /* n entries */
	} ring[PR_EPOCH_RING];
	uint8_t *mem;
};

/* 0 or -ENOMEM; @gens: keep per-block generations, all @gen0 at first. */
int pr_epochs_init(struct pr_epochs *e, size_t n, int gens, uint32_t gen0);
void pr_epochs_free(struct pr_epochs *e);
/*
 * Open a window over blocks [@b0, @b1); @allow (n entries, or NULL:
 * PR_EX_IN_FLIGHT over the range) says what it excuses where.
 */
void pr_epochs_open(struct pr_epochs *e, size_t b0, size_t b1,
		    const uint8_t *allow);
/* Close it; with @gen (not 0), blocks [@b0, @b1) are now generation @gen. */
void pr_epochs_close(struct pr_epochs *e, size_t b0, size_t b1, uint32_t gen);
uint32_t pr_epochs_gen(const struct pr_epochs *e, size_t i);

struct pr_epoch_snap {
	uint64_t seq0, seq1;
};
static inline void pr_epochs_begin(struct pr_epochs *e, struct pr_epoch_snap *s)
{
	s->seq0 = atomic_load(&e->seq);
}
static inline void pr_epochs_end(struct pr_epochs *e, struct pr_epoch_snap *s)
{
	s->seq1 = atomic_load(&e->seq);
}
/* What the windows open during the read excuse at block @i. */
unsigned int pr_epochs_allow(struct pr_epochs *e, const struct pr_epoch_snap *s,
			     size_t i);

#endif
