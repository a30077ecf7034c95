// SPDX-License-Identifier: GPL-2.0
/*
 * Description: an MR over a MAP_SHARED page-cache file, then the file is
 * truncated to 0 and extended back (or a hole is punched over it).  Does
 * the device still read the old pages, and do its writes reach the file?
 * A refused registration is a protection (EFAULT for writable long-term
 * pins since 6.5); a registration that succeeds and then shows stale or
 * lost data is a finding.
 */
#include "backing.h"
#include "layout.h"
#include "mrlayout.h"
#include "mrmode.h"
#include "pin.h"

static const struct pr_backing *const backings[] = {&pr_backing_pagecache,
						    &pr_backing_memfd, NULL};
static const struct pr_layout_op *const ops[] = {&pr_op_truncate_extend,
						 &pr_op_punch_hole, NULL};
/* every pin source, and the pin accounting's self-test */
static const struct pr_mr_mode *const mrs[] = {
	&pr_mr_pinned_rw, &pr_mr_pinned_ro,	&pr_mr_odp,
	&pr_mr_cpu,	  &pr_mr_uring_fixed,	&pr_mr_vmsplice,
	&pr_mr_odirect,	  &pr_mr_selftest_leak, NULL};
/* the injected pin, held past the teardown, must be caught */
static const struct pr_must musts[] = {
	{"*/selftest-pin-leak/*", "fail:pin-leak", 0},
	{},
};
static const char *const tags[] = {
	"8ac268436e6d mm/gup: disallow FOLL_LONGTERM GUP-nonfast writing to file-backed mappings",
	"a6e79df92e4a mm/gup: disallow FOLL_LONGTERM GUP-fast writing to file-backed mappings",
	NULL,
};

static const struct pr_test test = {
	.name = "mr-pagecache-truncate",
	.desc = "MR over a page-cache file mapping vs truncate and punch-hole",
	.tags = tags,
	.backings = backings,
	.mrs = mrs,
	.ops = ops,
	.musts = musts,
	.body = pr_mrlayout_case,
};

PR_TEST_MAIN(test)
