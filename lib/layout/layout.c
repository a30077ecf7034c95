// SPDX-License-Identifier: GPL-2.0
/* The layout operation table: apply() and model() for each. */
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "backing.h"
#include "layout.h"
#include "needs.h"

void pr_layout_range(struct pr_layout *l)
{
	l->off = l->nblocks / 4 * l->bs;
	l->len = (l->nblocks / 2 ? l->nblocks / 2 : 1) * l->bs;
}

void pr_model_fill(struct pr_expect *m, size_t n, size_t bs, uint32_t id,
		   uint32_t gen, uint64_t seed)
{
	for (size_t i = 0; i < n; i++)
		m[i] = (struct pr_expect){.file_id = id,
					  .gen = gen,
					  .offset = i * bs,
					  .seed = seed};
}

static int err(int rc)
{
	return rc ? -errno : 0;
}

static int resize(struct pr_layout *l, off_t size)
{
	return err(ftruncate(l->f->fd, size) || ftruncate(l->f->fd, l->f->len));
}

static void holes(struct pr_layout *l, size_t first, size_t end)
{
	for (size_t i = first; i < end && i < l->nblocks; i++)
		l->model[i].gen = PR_GEN_HOLE;
}

static size_t b0(const struct pr_layout *l)
{
	return l->off / l->bs;
}

static size_t b1(const struct pr_layout *l)
{
	return (l->off + l->len) / l->bs;
}

/* truncate to 0 and extend back: every block a hole */
static int truncate_apply(struct pr_layout *l)
{
	return resize(l, 0);
}

static void all_holes(struct pr_layout *l)
{
	holes(l, 0, l->nblocks);
}

/* shrink into the middle of a block, then extend back */
static size_t cut_at(const struct pr_layout *l)
{
	return l->off + l->bs / 2 + 100;
}

static int shrink_apply(struct pr_layout *l)
{
	return resize(l, cut_at(l));
}

static void shrink_model(struct pr_layout *l)
{
	size_t cut = cut_at(l);

	l->model[cut / l->bs].gen = PR_GEN_ANY; /* its tail is zeroed */
	holes(l, cut / l->bs + 1, l->nblocks);
}

/* extend far past the end: nothing already there may change */
static int extend_apply(struct pr_layout *l)
{
	return resize(l, 2 * l->f->len);
}

static void unchanged(struct pr_layout *l)
{
	(void)l;
}

static int falloc(struct pr_layout *l, int mode)
{
	return err(fallocate(l->f->fd, mode, l->off, l->len));
}

static int punch_apply(struct pr_layout *l)
{
	return falloc(l, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE);
}

static int zero_apply(struct pr_layout *l)
{
	return falloc(l, FALLOC_FL_ZERO_RANGE);
}

static void range_holes(struct pr_layout *l)
{
	holes(l, b0(l), b1(l));
}

/* collapse: the blocks after the range move down; the tail is new */
static int collapse_apply(struct pr_layout *l)
{
	int rc = falloc(l, FALLOC_FL_COLLAPSE_RANGE);

	return rc ? rc : err(ftruncate(l->f->fd, l->f->len));
}

static void collapse_model(struct pr_layout *l)
{
	size_t shift = l->len / l->bs;

	for (size_t i = b0(l); i < l->nblocks; i++) {
		if (i + shift < l->nblocks)
			l->model[i] = l->model[i + shift];
		else
			l->model[i].gen = PR_GEN_HOLE;
	}
}

/* insert: a hole opens at the range, later blocks move up (the tail that
 * moves past the old size is cut off again) */
static int insert_apply(struct pr_layout *l)
{
	int rc = falloc(l, FALLOC_FL_INSERT_RANGE);

	return rc ? rc : err(ftruncate(l->f->fd, l->f->len));
}

static void insert_model(struct pr_layout *l)
{
	size_t shift = l->len / l->bs;

	for (size_t i = l->nblocks; i-- > b1(l);)
		l->model[i] = l->model[i - shift];
	holes(l, b0(l), b1(l));
}

/* the source's blocks in place of the range's (or the whole file's) */
static void from_src(struct pr_layout *l, size_t first, size_t end)
{
	for (size_t i = first; i < end; i++)
		l->model[i] = l->src_model[i];
}

static int ficlone_apply(struct pr_layout *l)
{
	return err(ioctl(l->f->fd, FICLONE, l->src->fd));
}

static void whole_from_src(struct pr_layout *l)
{
	from_src(l, 0, l->nblocks);
}

static int ficlonerange_apply(struct pr_layout *l)
{
	struct file_clone_range r = {.src_fd = l->src->fd,
				     .src_offset = l->off,
				     .src_length = l->len,
				     .dest_offset = l->off};

	return err(ioctl(l->f->fd, FICLONERANGE, &r));
}

static void range_from_src(struct pr_layout *l)
{
	from_src(l, b0(l), b1(l));
}

/*
 * dedupe: make the source's range a byte copy of f's, then share its
 * extents into f.  The content of f does not change; its pages may.
 */
static int dedupe_apply(struct pr_layout *l)
{
	struct {
		struct file_dedupe_range r;
		struct file_dedupe_range_info info;
	} a = {.r = {.src_offset = l->off,
		     .src_length = l->len,
		     .dest_count = 1},
	       .info = {.dest_fd = l->f->fd, .dest_offset = l->off}};
	/* a byte copy of the file (not of the mapping, which may be private;
	 * copy_file_range could share extents already) */
	void *buf = malloc(l->len);
	ssize_t n = buf ? pread(l->f->fd, buf, l->len, l->off) : -1;

	if (n == (ssize_t)l->len)
		n = pwrite(l->src->fd, buf, l->len, l->off);
	free(buf);
	if (n != (ssize_t)l->len)
		return n < 0 ? -errno : -EIO;
	memcpy(l->src_model + b0(l), l->model + b0(l),
	       (b1(l) - b0(l)) * sizeof(*l->model));
	if (fsync(l->src->fd) || ioctl(l->src->fd, FIDEDUPERANGE, &a))
		return -errno;
	if (a.info.status < 0)
		return a.info.status;
	return a.info.status == FILE_DEDUPE_RANGE_SAME ? 0 : -EILSEQ;
}

static int copy_apply(struct pr_layout *l)
{
	loff_t in = l->off, out = l->off;
	size_t left = l->len;

	while (left) {
		ssize_t n = copy_file_range(l->src->fd, &in, l->f->fd, &out,
					    left, 0);

		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		left -= n;
	}
	return 0;
}

#define OP(var, nm, ap, mo, src, nd)                                           \
	const struct pr_layout_op var = {.name = nm,                           \
					 .apply = ap,                          \
					 .model = mo,                          \
					 .needs_src = src,                     \
					 .needs = nd}

OP(pr_op_truncate_extend, "truncate-extend", truncate_apply, all_holes, 0, 0);
OP(pr_op_shrink_unaligned, "shrink-unaligned", shrink_apply, shrink_model, 0,
   0);
OP(pr_op_extend, "extend", extend_apply, unchanged, 0, 0);
OP(pr_op_punch_hole, "punch-hole", punch_apply, range_holes, 0, 0);
OP(pr_op_zero_range, "zero-range", zero_apply, range_holes, 0, 0);
OP(pr_op_collapse_range, "collapse-range", collapse_apply, collapse_model, 0,
   0);
OP(pr_op_insert_range, "insert-range", insert_apply, insert_model, 0, 0);
OP(pr_op_ficlone, "ficlone", ficlone_apply, whole_from_src, 1, PR_NEED_REFLINK);
OP(pr_op_ficlonerange, "ficlonerange", ficlonerange_apply, range_from_src, 1,
   PR_NEED_REFLINK);
OP(pr_op_fideduperange, "fideduperange", dedupe_apply, unchanged, 1,
   PR_NEED_REFLINK);
OP(pr_op_copy_file_range, "copy-file-range", copy_apply, range_from_src, 1, 0);

const struct pr_layout_op *const pr_layout_ops_all[] = {
	&pr_op_truncate_extend, &pr_op_shrink_unaligned, &pr_op_extend,
	&pr_op_punch_hole,	&pr_op_zero_range,	 &pr_op_collapse_range,
	&pr_op_insert_range,	&pr_op_ficlone,		 &pr_op_ficlonerange,
	&pr_op_fideduperange,	&pr_op_copy_file_range,	 NULL,
};
