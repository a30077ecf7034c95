// SPDX-License-Identifier: GPL-2.0
/* The layout operation table. */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "backing.h"
#include "layout.h"

/* Drop every block of the file, then give it back its size. */
static int truncate_extend(struct pr_file *f, size_t off, size_t len)
{
	(void)off;
	(void)len;
	if (ftruncate(f->fd, 0) || ftruncate(f->fd, f->len))
		return -errno;
	return 0;
}

static int punch_hole(struct pr_file *f, size_t off, size_t len)
{
	if (fallocate(f->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off,
		      len))
		return -errno;
	return 0;
}

const struct pr_layout_op pr_op_truncate_extend = {
	.name = "truncate-extend",
	.apply = truncate_extend,
};

const struct pr_layout_op pr_op_punch_hole = {
	.name = "punch-hole",
	.apply = punch_hole,
};
