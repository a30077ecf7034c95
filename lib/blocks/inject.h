/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Faults a self-test injects into what a live race read, so that the
 * race's own judging must catch and classify them: a torn block (a data
 * byte flipped), a corrupt header (a header byte flipped), a stale block
 * (the block as its previous generation), another file's block.
 */
#ifndef PR_INJECT_H
#define PR_INJECT_H

#include <stddef.h>

#include "block.h"

enum pr_inject {
	PR_INJ_NONE,
	PR_INJ_TORN,
	PR_INJ_CORRUPT,
	PR_INJ_STALE,
	PR_INJ_CROSS,
};

/*
 * Damage the block @blk of @bs bytes, which holds @s, as @kind says
 * (@other_id: the file a cross-file block comes from).  0, or -1 when it
 * cannot be done to this block (a stale block of generation 1).
 */
int pr_inject_block(void *blk, size_t bs, enum pr_inject kind,
		    const struct pr_stamp *s, uint32_t other_id);
const char *pr_inject_name(enum pr_inject kind);

#endif
