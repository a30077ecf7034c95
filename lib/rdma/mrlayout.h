/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The deterministic MR-over-file case: register an MR over a file mapping,
 * change the file's layout under it, then compare what the device, the
 * mapping and the file see.  One body for every backing, mapping, MR mode
 * and layout operation.
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
 * 3. the layout operation; the file must then match the operation's model
 *    and the device what the mapping shows (old content: stale-read);
 * 4. stamp generation 2 through pwrite(); the device again;
 * 5. when the MR allows it, RDMA WRITE generation 3: a shared mapping and
 *    the file must show it (else lost-write); a private mapping must show
 *    it and the file must not.
 * The variant's priv, when set, points at the mmap flags (MAP_SHARED by
 * default).
 */
void pr_mrlayout_case(struct pr_ctx *ctx, const struct pr_case *c,
		      struct pr_result *res);

/* Variants for the mapping axis. */
extern const struct pr_variant pr_variants_mapping[];

#endif
