// SPDX-License-Identifier: GPL-2.0
/*
 * Description: the page-cache matrix.  An MR over a file mapping on every
 * filesystem people run (xfs with reflink, ext4, btrfs, tmpfs), shared and
 * private, pinned read-write, pinned read-only and ODP, against every
 * layout operation: truncate, unaligned shrink, extend, punch, zero,
 * collapse, insert, FICLONE, FICLONERANGE, FIDEDUPERANGE and
 * copy_file_range.  Each block the device, the mapping and the file show
 * is judged against the operation's model of the file.
 */
#include "backing.h"
#include "layout.h"
#include "mrlayout.h"
#include "mrmode.h"
#include "pin.h"

static const char *const tags[] = {
	"8ac268436e6d mm/gup: disallow FOLL_LONGTERM GUP-nonfast writing to file-backed mappings",
	"a6e79df92e4a mm/gup: disallow FOLL_LONGTERM GUP-fast writing to file-backed mappings",
	NULL,
};

static const struct pr_test test = {
	.name = "pagecache-layout",
	.desc = "MR over file mappings on xfs/ext4/btrfs/tmpfs vs every layout operation",
	.tags = tags,
	.backings = pr_backings_pagecache,
	.mrs = pr_mr_sources_matrix,
	.ops = pr_layout_ops_all,
	.variants = pr_variants_mapping,
	.body = pr_mrlayout_case,
};

PR_TEST_MAIN(test)
