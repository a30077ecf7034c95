// SPDX-License-Identifier: GPL-2.0
/*
 * Description: ODP over filesystem DAX, where an ODP MR is the supported
 * way to do RDMA (pinned ones are refused).  Time-boxed threads change the
 * layout of a DAX file (truncate, punch, collapse, insert, and FICLONE on
 * XFS with reflink) while RDMA READs and WRITEs go through an ODP MR over
 * its mapping and the file is read; every block is judged (lib/race/race.h):
 * the device must see the new data or fault, never a block's old contents
 * after the change.  Runs where the device offers ODP (rxe from 6.14);
 * elsewhere it is a SKIP saying so.
 */
#include "backing.h"
#include "layout.h"
#include "mrmode.h"
#include "race.h"

static const struct pr_mr_mode *const mrs[] = {&pr_mr_odp, NULL};
static const struct pr_layout_op *const ops[] = {
	&pr_op_truncate_extend, &pr_op_punch_hole, &pr_op_collapse_range,
	&pr_op_insert_range,	&pr_op_ficlone,	   NULL};
static const char *const tags[] = {
	"5f1d43de5416 IB/core: disable memory registration of filesystem-dax vmas (ODP is the way)",
	"ea6c49b784f0 xfs: support CoW in fsdax mode",
	NULL,
};

static const struct pr_test test = {
	.name = "dax-odp-race",
	.desc = "layout changes on a DAX file racing ODP RDMA traffic, every block verified",
	.needs = PR_NEED_RDMA,
	.tags = tags,
	.backings = pr_backings_fsdax,
	.mrs = mrs,
	.ops = ops,
	.body = pr_race_case,
};

PR_TEST_MAIN(test)
