/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The two steps every data case repeats, reported straight into its
 * result: an RDMA transfer (a failure is an error, a success is counted)
 * and a verification of a buffer against what it should hold (bad blocks
 * make the finding, with a one-line summary in the detail).
 */
#ifndef PR_XFERCHECK_H
#define PR_XFERCHECK_H

#include "pinrace.h"
#include "verbs.h"

/*
 * RDMA READ (@write = 0) or WRITE of @len bytes at @off in @mr, waited
 * for the profile's completion timeout.  0, or -1 after pr_error().
 */
int pr_xfer(struct pr_ctx *ctx, struct pr_result *res, struct pr_rdma *r,
	    int write, struct ibv_mr *mr, size_t off, size_t len);
/*
 * Verify @len bytes at @buf as blocks of @bs, the first expected as @e;
 * @fname names the data in fio-style lines, @label the dumps and the
 * summary.  Folds the report into @res (zero blocks count as bad) and
 * returns the number of bad blocks.
 */
uint64_t pr_check(struct pr_ctx *ctx, struct pr_result *res, const void *buf,
		  size_t len, size_t bs, const struct pr_expect *e,
		  const char *fname, const char *label);

#endif
