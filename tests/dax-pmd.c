// SPDX-License-Identifier: GPL-2.0
/*
 * Description: 2 MiB DAX mappings.  A 4 MiB file on a filesystem whose
 * extents are 2 MiB aligned must be mapped with PMD entries (checked by
 * counting the faults it takes to write every page through the mapping:
 * smaps does not show DAX PMDs); else the case is a SKIP naming that.
 * Then O_DIRECT reads land in the PMD-mapped file, pinned by GUP-fast,
 * repeated over 2 MiB ranges until the change returns, so that one is in
 * flight when it starts (the mapping is faulted in before each round),
 * while the layout thread
 * truncates it or punches 2 MiB-aligned holes and a second file takes the
 * freed blocks: the race fixed by "mm: fix __gup_device_huge vs unmap",
 * where GUP-fast took its references after truncate had already found
 * the pages idle.  Judged as in dax-odirect-race (lib/race/daxrace.h), under
 * the watchdog.
 */
#include "backing.h"
#include "daxrace.h"
#include "layout.h"

#define PMD_FILE (4u << 20)

static const struct pr_daxrace mapping = {.op = &pr_op_truncate_extend,
					  .file_size = PMD_FILE,
					  .pmd = 1,
					  .rounds = 2};
static const struct pr_daxrace gup_truncate = {.xfer = PR_DAX_XFER_ODIRECT,
					       .src = &pr_backing_xfs,
					       .op = &pr_op_truncate_extend,
					       .file_size = PMD_FILE,
					       .pmd = 1,
					       .stream = 1};
static const struct pr_daxrace gup_punch = {.xfer = PR_DAX_XFER_ODIRECT,
					    .src = &pr_backing_xfs,
					    .op = &pr_op_punch_hole,
					    .file_size = PMD_FILE,
					    .pmd = 1,
					    .stream = 1};
static const struct pr_variant variants[] = {
	{"pmd-mapping", 0, &mapping},
	{"gup-fast-truncate", 0, &gup_truncate},
	{"gup-fast-punch", 0, &gup_punch},
	{}};
static const char *const tags[] = {
	"mm: fix __gup_device_huge vs unmap (stable, 4.18)",
	"5fac7408d828 mm, fs, dax: handle layout changes to pinned dax mappings",
	NULL,
};

static const struct pr_test test = {
	.name = "dax-pmd",
	.desc = "2 MiB DAX mappings: PMD faults happen; GUP-fast O_DIRECT vs truncate and punch",
	.source = "odirect",
	.tags = tags,
	.backings = pr_backings_fsdax,
	.variants = variants,
	.body = pr_daxrace_case,
};

PR_TEST_MAIN(test)
