// SPDX-License-Identifier: GPL-2.0
/*
 * Description: the DAX reallocation race catches what it must.  After a
 * live round (punch-hole on fsdax, the other file taking what was freed)
 * a torn block, a corrupt header or a stale block is injected into what
 * the file's mapping read returned; the round's own judging must catch
 * and classify it, so each case must end as a fail with that finding
 * (musts below); one that does not fails as a self-test: the engine
 * stopped judging.  See lib/race/daxrace.h.
 */
#include "backing.h"
#include "daxrace.h"
#include "inject.h"
#include "layout.h"

#define INJECT(kind)                                                           \
	(&(const struct pr_daxrace){                                           \
		.op = &pr_op_punch_hole, .rounds = 2, .inject = (kind)})
static const struct pr_variant variants[] = {
	{"selftest-inject-torn", 0, INJECT(PR_INJ_TORN)},
	{"selftest-inject-corrupt", 0, INJECT(PR_INJ_CORRUPT)},
	{"selftest-inject-stale", 0, INJECT(PR_INJ_STALE)},
	{}};
static const struct pr_backing *const backings[] = {&pr_backing_fsdax, NULL};

static const struct pr_must musts[] = {
	{"*/selftest-inject-torn", "fail:torn", 0},
	{"*/selftest-inject-corrupt", "fail:torn", 0},
	{"*/selftest-inject-stale", "fail:stale-read", 0},
	{},
};

static const struct pr_test test = {
	.name = "race-inject-dax",
	.desc = "faults injected into a live DAX race's reads are caught and classified",
	.backings = backings,
	.variants = variants,
	.musts = musts,
	.body = pr_daxrace_case,
};

PR_TEST_MAIN(test)
