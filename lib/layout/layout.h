/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Layout operations: each changes which blocks back a file while its
 * mapping (and any MR over it) stays in place.  An operation is an apply()
 * that does it and a model() that says, block by block, what the file must
 * hold afterwards (a hole, a block moved by collapse or insert, a block of
 * the source file after a clone), so a verifier can tell the right new
 * content from the old content a stale pin still shows.
 */
#ifndef PR_LAYOUT_H
#define PR_LAYOUT_H

#include <stddef.h>

#include "verify.h"

struct pr_file;

struct pr_layout {
	struct pr_file *f;   /* the file under test */
	struct pr_file *src; /* the second file, for clone, dedupe, copy */
	size_t bs;
	size_t nblocks;		     /* of each file; both are f->len long */
	size_t off, len;	     /* the range acted on: block aligned */
	struct pr_expect *model;     /* f's blocks, updated by model() */
	struct pr_expect *src_model; /* src's blocks */
};

struct pr_layout_op {
	const char *name;
	/*
	 * Do it, and leave the file f->len long again.  0, or -errno:
	 * -EOPNOTSUPP (or -ENOTTY) when the filesystem lacks it, a SKIP.
	 */
	int (*apply)(struct pr_layout *l);
	/* What apply() left in f (and src), in l->model. */
	void (*model)(struct pr_layout *l);
	int needs_src; /* uses the second file */
	unsigned int needs;
};

/* Set l->off and l->len: the middle half of the file. */
void pr_layout_range(struct pr_layout *l);
/* A model of @n blocks of file @id, generation @gen, from offset 0. */
void pr_model_fill(struct pr_expect *m, size_t n, size_t bs, uint32_t id,
		   uint32_t gen, uint64_t seed);

extern const struct pr_layout_op pr_op_truncate_extend;
extern const struct pr_layout_op pr_op_shrink_unaligned;
extern const struct pr_layout_op pr_op_extend;
extern const struct pr_layout_op pr_op_punch_hole;
extern const struct pr_layout_op pr_op_zero_range;
extern const struct pr_layout_op pr_op_collapse_range;
extern const struct pr_layout_op pr_op_insert_range;
extern const struct pr_layout_op pr_op_ficlone;
extern const struct pr_layout_op pr_op_ficlonerange;
extern const struct pr_layout_op pr_op_fideduperange;
extern const struct pr_layout_op pr_op_copy_file_range;
/* Every operation above, NULL-ended. */
extern const struct pr_layout_op *const pr_layout_ops_all[];

#endif
