/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The page-cache race: on the race core (lib/race/racecore.h), three workers
 * with a seed and a time box.
 *
 *  - layout: applies the case's layout operation to a random range, then
 *    rewrites the blocks it changed as a new generation, inside a window
 *    over just those blocks (per-range epochs, lib/blocks/epochs.h), and pauses
 *    for a quiet window after every profile `burst` operations;
 *  - rdma: RDMA READs random ranges through the MR, and RDMA WRITEs each
 *    block's current generation back (a write that must not be lost);
 *  - file: reads random ranges through pread() and through the mapping.
 *
 * Every block anyone reads is judged (lib/blocks/judge.h) against the generation
 * its block had completed before the read began: older is stale-read,
 * another file's or run's is cross-file, another offset's misplaced, a
 * broken one torn or corrupt, zeros zero.  Only where a window overlapped
 * the read is a bad block excused, and only as the operation's model
 * allows there (torn or newer data while the block is rewritten; zeros
 * where it makes holes, other offsets where it moves blocks, the source
 * file where it brings that in).  At the end, with everything quiet, the
 * device writes a final generation and the file must show it (else
 * lost-write).  A race that judged no block strictly is inconclusive.
 */
#ifndef PR_RACE_H
#define PR_RACE_H

#include "pinrace.h"
#include "racecore.h"

void pr_race_case(struct pr_ctx *ctx, const struct pr_case *c,
		  struct pr_result *res);

#endif
