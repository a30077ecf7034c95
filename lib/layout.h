/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Layout operations: each changes which blocks back a range of a file
 * while the mapping (and any MR over it) stays in place.  After apply()
 * the range reads as zeros until rewritten.
 */
#ifndef PR_LAYOUT_H
#define PR_LAYOUT_H

#include <stddef.h>

struct pr_file;

struct pr_layout_op {
	const char *name;
	/* 0, or -errno (-EOPNOTSUPP: the filesystem lacks it: a SKIP) */
	int (*apply)(struct pr_file *f, size_t off, size_t len);
	unsigned int needs;
};

extern const struct pr_layout_op pr_op_truncate_extend;
extern const struct pr_layout_op pr_op_punch_hole;

#endif
