/* SPDX-License-Identifier: GPL-2.0 */
/*
 * An MR over the case's file: the file (and a second one when the layout
 * operation needs a source), the device with a bounce buffer as large as
 * the file, and the registration in the case's MR mode.  Shared by the
 * deterministic and the race bodies.
 */
#ifndef PR_MRFILE_H
#define PR_MRFILE_H

#include "backing.h"
#include "pinrace.h"
#include "verbs.h"

struct pr_mrfile {
	struct pr_file f;   /* file id 1 */
	struct pr_file src; /* file id 2, when the operation needs one */
	struct pr_rdma rdma;
	struct ibv_mr *mr;
};

/*
 * Create the files (the first mapped with @map_flags), open the device.
 * 0, or -1 with the case's result set to an error.
 */
int pr_mrfile_open(struct pr_mrfile *m, struct pr_ctx *ctx,
		   const struct pr_case *c, int map_flags,
		   struct pr_result *res);
/*
 * Register the first file's mapping in the case's MR mode.  0, or -1 when
 * the kernel refused (recorded with its errno: a protection).
 */
int pr_mrfile_register(struct pr_mrfile *m, const struct pr_case *c,
		       struct pr_result *res);
/*
 * Start the device side afresh (QPs, bounce buffer, registration), e.g.
 * after a completion error moved the QPs to the error state.  0 or -1
 * with the result set.
 */
int pr_mrfile_reopen(struct pr_mrfile *m, struct pr_ctx *ctx,
		     const struct pr_case *c, struct pr_result *res);
void pr_mrfile_close(struct pr_mrfile *m);

#endif
