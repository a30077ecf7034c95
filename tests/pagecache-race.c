// SPDX-License-Identifier: GPL-2.0
/*
 * Description: the page-cache matrix under concurrency.  For each
 * filesystem, MR mode and layout operation, time-boxed threads with a
 * recorded seed change the layout in a loop, drive RDMA READ and WRITE
 * through the MR, and read through the file and the mapping; every block
 * anyone reads is judged (see lib/race/race.h), and a final quiet check catches
 * device writes that never reached the file.  Replay with --seed.
 */
#include "backing.h"
#include "layout.h"
#include "mrmode.h"
#include "pin.h"
#include "race.h"

static const char *const tags[] = {
	"8ac268436e6d mm/gup: disallow FOLL_LONGTERM GUP-nonfast writing to file-backed mappings",
	NULL,
};

static const struct pr_test test = {
	.name = "pagecache-race",
	.desc = "layout changes racing RDMA traffic and file reads, every block verified",
	.tags = tags,
	.backings = pr_backings_pagecache,
	.mrs = pr_mr_sources_matrix,
	.ops = pr_layout_ops_all,
	.body = pr_race_case,
};

PR_TEST_MAIN(test)
