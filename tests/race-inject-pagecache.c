// SPDX-License-Identifier: GPL-2.0
/*
 * Description: the page-cache race catches what it must.  In a live race
 * (xfs, a read-only MR, extend: a case that finds nothing on its own) a
 * torn block, a corrupt header or a stale block is injected into what a
 * file read just returned, in a block judged strictly (no layout change
 * overlapped it); the race's own judging must catch and classify it, so
 * each case must end as a fail with that finding (musts below).  A pass means
 * the race engine stopped judging.
 */
#include "backing.h"
#include "inject.h"
#include "layout.h"
#include "mrmode.h"
#include "race.h"

static const enum pr_inject torn = PR_INJ_TORN, corrupt = PR_INJ_CORRUPT,
			    stale = PR_INJ_STALE;
static const struct pr_variant variants[] = {
	{"selftest-inject-torn", 0, &torn},
	{"selftest-inject-corrupt", 0, &corrupt},
	{"selftest-inject-stale", 0, &stale},
	{}};
static const struct pr_backing *const backings[] = {&pr_backing_xfs, NULL};
static const struct pr_mr_mode *const mrs[] = {&pr_mr_pinned_ro, NULL};
static const struct pr_layout_op *const ops[] = {&pr_op_extend, NULL};

static const struct pr_must musts[] = {
	{"*/selftest-inject-torn", "fail:torn", 0},
	{"*/selftest-inject-corrupt", "fail:torn", 0},
	{"*/selftest-inject-stale", "fail:stale-read", 0},
	{},
};

static const struct pr_test test = {
	.name = "race-inject-pagecache",
	.desc = "faults injected into a live page-cache race's reads are caught and classified",
	.needs = PR_NEED_RDMA,
	.backings = backings,
	.mrs = mrs,
	.ops = ops,
	.variants = variants,
	.musts = musts,
	.body = pr_race_case,
};

PR_TEST_MAIN(test)
