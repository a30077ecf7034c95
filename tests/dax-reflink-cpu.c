// SPDX-License-Identifier: GPL-2.0
/*
 * Description: the CPU control on the fsdax reflink race: no pin at all.
 * A source file S is cloned into file A on DAX XFS (FICLONE, FICLONERANGE)
 * and then both are rewritten whole, while the process's own MAP_SHARED
 * mapping of A is read with plain loads (every load judged) or written
 * with plain stores (A's rewrite).  A's mapping must show A's data, or S's
 * as it was cloned; S's later writes seen through A, or A's stores landing
 * in S, are "cross-file" (the same race as dax-odp-race's ficlone cases,
 * with the CPU as the device, so a finding there can be told apart as a
 * pin bug or a mapping bug).  Per case it says whose blocks the mapping
 * showed during the changes and after them.  selftest-inject runs the
 * round without the clone, puts a block of S's next generation into a
 * load and must end as fail:cross-file.
 * See lib/race/daxclone.c.
 */
#include "backing.h"
#include "daxrace.h"
#include "inject.h"
#include "layout.h"

static const struct pr_daxrace load = {.xfer = PR_DAX_XFER_CPU_LOAD};
static const struct pr_daxrace store = {.xfer = PR_DAX_XFER_CPU_STORE};
static const struct pr_daxrace inject = {
	.xfer = PR_DAX_XFER_CPU_LOAD, .rounds = 1, .inject = PR_INJ_CROSS};

static const struct pr_variant variants[] = {{"load", 0, &load},
					     {"store", 0, &store},
					     {"selftest-inject", 0, &inject},
					     {}};
static const struct pr_backing *const backings[] = {
	&pr_backing_fsdax, &pr_backing_fsdax_nvdimm, NULL};
static const struct pr_layout_op *const ops[] = {&pr_op_ficlone,
						 &pr_op_ficlonerange, NULL};
static const char *const tags[] = {
	"ea6c49b784f0 xfs: support CoW in fsdax mode",
	NULL,
};

static const struct pr_must musts[] = {
	{"*/selftest-inject", "fail:cross-file", 0},
	{},
};

static const struct pr_test test = {
	.name = "dax-reflink-cpu",
	.desc = "reflink into a DAX file and rewrites of both, against the CPU's loads and stores of its mapping: never the other file's data",
	.source = "cpu",
	.tags = tags,
	.backings = backings,
	.ops = ops,
	.variants = variants,
	.musts = musts,
	.body = pr_daxrace_case,
};

PR_TEST_MAIN(test)
