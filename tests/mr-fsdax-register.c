// SPDX-License-Identifier: GPL-2.0
/*
 * Description: the same registration over a file on a filesystem-DAX
 * mount (XFS on memmap= pmem, XFS and ext4 on NVDIMM namespaces), where
 * the mapped page is the disk block itself.  Pinned
 * registrations must be refused (EOPNOTSUPP since FOLL_LONGTERM learned
 * about fsdax); an ODP registration takes no pin and must stay coherent
 * across a truncate.
 */
#include "backing.h"
#include "layout.h"
#include "mrlayout.h"
#include "mrmode.h"

static const struct pr_backing *const backings[] = {
	&pr_backing_fsdax, &pr_backing_fsdax_nvdimm, &pr_backing_fsdax_ext4,
	NULL};
static const struct pr_layout_op *const ops[] = {&pr_op_truncate_extend, NULL};
static const char *const tags[] = {
	"5f1d43de5416 IB/core: disable memory registration of filesystem-dax vmas",
	"52650c8b466b mm/gup: remove the vma allocation from gup_longterm_locked()",
	NULL,
};

static const struct pr_test test = {
	.name = "mr-fsdax-register",
	.desc = "MR registration over a filesystem-DAX file; ODP across truncate",
	.needs = PR_NEED_RDMA,
	.tags = tags,
	.backings = backings,
	.mrs = pr_mr_modes_all,
	.ops = ops,
	.body = pr_mrlayout_case,
};

PR_TEST_MAIN(test)
