// SPDX-License-Identifier: GPL-2.0
/*
 * Description: the MR-over-file layout case with the device's transfers
 * made by another host.  A peer (build/tests/peer-rdma on the second
 * machine, or in a second network namespace of the guest: see
 * setup/guest/twohost.sh) RDMA READs and WRITEs the MR over a real link while
 * this side changes the file's layout; the blocks are judged as in
 * pagecache-layout, and the link's counters must show the bytes crossed.
 *
 *   two-host-layout [--peer HOST[:PORT]] [harness options]
 *
 * --peer sets $PINRACE_PEER.
 */
#include <stdlib.h>
#include <string.h>

#include "backing.h"
#include "layout.h"
#include "mrlayout.h"
#include "mrmode.h"
#include "remote.h"

static const char *const tags[] = {
	"8ac268436e6d mm/gup: disallow FOLL_LONGTERM GUP-nonfast writing to file-backed mappings",
	NULL,
};

static const struct pr_backing *const backings[] = {&pr_backing_xfs,
						    &pr_backing_tmpfs, NULL};
/* extend keeps every page: the coherent control; punch orphans some */
static const struct pr_layout_op *const ops[] = {&pr_op_extend,
						 &pr_op_punch_hole, NULL};

static void two_host_case(struct pr_ctx *ctx, const struct pr_case *c,
			  struct pr_result *res)
{
	if (pr_remote_begin(ctx, res))
		return;
	pr_mrlayout_case(ctx, c, res);
	pr_remote_end(ctx, res);
}

static const struct pr_test test = {
	.name = "two-host-layout",
	.desc = "MR over a file mapping, read and written by a peer host over rdma_cm, vs layout changes",
	.needs = PR_NEED_RDMA,
	.tags = tags,
	.backings = backings,
	.mrs = pr_mr_modes_all,
	.ops = ops,
	.body = two_host_case,
};

int main(int argc, char **argv)
{
	int i, j;

	/* --peer HOST is ours; everything else is the harness's */
	for (i = j = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--peer") && i + 1 < argc)
			setenv("PINRACE_PEER", argv[++i], 1);
		else
			argv[j++] = argv[i];
	}
	argv[j] = NULL;
	return pr_main(&test, j, argv);
}
