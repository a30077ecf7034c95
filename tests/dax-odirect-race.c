// SPDX-License-Identifier: GPL-2.0
/*
 * Description: short-term pins against DAX layout changes, the scenario of
 * fstests generic/503 (which checks only that nothing crashes).  An
 * O_DIRECT read from a page-cache file lands in a filesystem-DAX mapping
 * (GUP pins the DAX pages: the disk blocks) while the layout thread
 * truncates, punches, zeroes or collapses that file, and a second file
 * takes the blocks it freed (the filesystem is full).  Every block of the
 * DAX file must be what the change leaves, with the O_DIRECT data where
 * it landed before or after the change; no block of the second file may
 * ever hold data meant for the first ("cross-file"): the change must wait
 * for the pin.  The source is ext4 on a loop device, which completes the
 * read from a worker and so holds the pins longest.  Both threads run
 * under the watchdog: a DAX truncate waits for pins interruptibly, where
 * the hung-task detector does not look.  See lib/race/daxrace.h.
 */
#include "backing.h"
#include "daxrace.h"
#include "layout.h"

static const struct pr_daxrace from_loop = {
	.xfer = PR_DAX_XFER_ODIRECT,
	.src = &pr_backing_ext4,
};
static const struct pr_variant variants[] = {
	{"from-loop", 0, &from_loop},
	{},
};
static const struct pr_layout_op *const ops[] = {
	&pr_op_truncate_extend, &pr_op_punch_hole, &pr_op_zero_range,
	&pr_op_collapse_range, NULL};
static const char *const tags[] = {
	"5fac7408d828 mm, fs, dax: handle layout changes to pinned dax mappings",
	"430657b6be89 ext4: handle layout changes to pinned DAX mappings",
	"b1f382178d15 ext4: close race between direct IO and ext4_break_layouts()",
	NULL,
};

static const struct pr_test test = {
	.name = "dax-odirect-race",
	.desc = "O_DIRECT into a DAX mapping vs truncate/punch/zero/collapse and reallocation",
	.source = "odirect",
	.tags = tags,
	.backings = pr_backings_fsdax,
	.ops = ops,
	.variants = variants,
	.body = pr_daxrace_case,
};

PR_TEST_MAIN(test)
