// SPDX-License-Identifier: GPL-2.0
/*
 * Description: cross-file exposure on filesystem DAX.  A layout change
 * frees blocks of file A while an MR covers it (or an ODP transfer is in
 * flight through it); on a filesystem filled to ENOSPC a second file B
 * takes those blocks and is stamped with its own id.  Whatever is read
 * through A afterwards (the MR, the mapping, the file) must be A's or a
 * hole, never B's; a device write through A's MR must land in A, never in
 * B.  Either is a "cross-file" finding: one user's data seen through, or
 * written by, another's registration.  Pinned registrations are refused on
 * fsdax (a protection); ODP ones must stay coherent.  The selftest-inject
 * variant puts a block of B into what it read through A's mapping and
 * must end as fail:cross-file: a detector that missed it fails the
 * self-test.  See lib/race/daxrace.h.
 */
#include "backing.h"
#include "daxrace.h"
#include "inject.h"
#include "layout.h"
#include "mrmode.h"

static const struct pr_daxrace mapping = {.rounds = 4, .needs_reuse = 1};
static const struct pr_daxrace pinned_rw = {
	.mr = &pr_mr_pinned_rw, .rounds = 4, .needs_reuse = 1};
static const struct pr_daxrace pinned_ro = {
	.mr = &pr_mr_pinned_ro, .rounds = 4, .needs_reuse = 1};
static const struct pr_daxrace odp = {
	.mr = &pr_mr_odp, .rounds = 4, .needs_reuse = 1};
static const struct pr_daxrace odp_read = {
	.xfer = PR_DAX_XFER_RDMA_READ, .mr = &pr_mr_odp, .needs_reuse = 1};
static const struct pr_daxrace odp_write = {
	.xfer = PR_DAX_XFER_RDMA_WRITE, .mr = &pr_mr_odp, .needs_reuse = 1};
static const struct pr_daxrace inject = {.rounds = 1, .inject = PR_INJ_CROSS};

#define RDMA PR_NEED_RDMA
#define ODP (PR_NEED_RDMA | PR_NEED_ODP)
static const struct pr_variant variants[] = {
	{"mapping", 0, &mapping},
	{"pinned-rw", RDMA, &pinned_rw},
	{"pinned-ro", RDMA, &pinned_ro},
	{"odp", ODP, &odp},
	{"odp-inflight-read", ODP, &odp_read},
	{"odp-inflight-write", ODP, &odp_write},
	{"selftest-inject", 0, &inject},
	{}};
static const struct pr_layout_op *const ops[] = {&pr_op_truncate_extend,
						 &pr_op_punch_hole, NULL};
static const char *const tags[] = {
	"5fac7408d828 mm, fs, dax: handle layout changes to pinned dax mappings",
	"5f1d43de5416 IB/core: disable memory registration of filesystem-dax vmas",
	NULL,
};

static const struct pr_must musts[] = {
	{"*/selftest-inject", "fail:cross-file", 0},
	{},
};

static const struct pr_test test = {
	.name = "dax-cross-file",
	.desc = "blocks freed under an MR or a transfer, reused by another file: never seen through the first",
	.source = "cpu", /* the mapping variant: CPU loads, no pin */
	.tags = tags,
	.backings = pr_backings_fsdax,
	.ops = ops,
	.variants = variants,
	.musts = musts,
	.body = pr_daxrace_case,
};

PR_TEST_MAIN(test)
