/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The deterministic MR-over-file case: register an MR over a file mapping,
 * change the file's layout under it, then compare what the device and the
 * file see.  One body for every backing, MR mode and layout operation.
 */
#ifndef PR_MRLAYOUT_H
#define PR_MRLAYOUT_H

#include "pinrace.h"

/*
 * 1. stamp generation 1 through the mapping, register the MR (a refusal
 *    ends the case as "refused" with the errno);
 * 2. control reads, the whole MR and a transfer starting mid-page: the
 *    device must see generation 1 exactly where the CPU does (a device
 *    that misreads a fresh MR is a finding, and the case stops there);
 * 3. the layout operation over the whole file;
 * 4. stamp generation 2 through pwrite(); RDMA READ and verify
 *    (older data: stale-read);
 * 5. when the MR allows it, RDMA WRITE generation 3 and verify what
 *    pread() and the mapping see (older data: lost-write).
 */
void pr_mrlayout_case(struct pr_ctx *ctx, const struct pr_case *c,
		      struct pr_result *res);

#endif
