/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The race case: threads with a seed and a time box.
 *
 *  - layout: applies the case's layout operation to a random range, then
 *    rewrites the whole file as the next generation (an "epoch") and
 *    publishes the epoch as done;
 *  - rdma: RDMA READs random ranges through the MR, and RDMA WRITEs the
 *    current generation's content back (a write that must not be lost);
 *  - file: reads random ranges through pread() and through the mapping.
 *
 * Every block anyone reads must be at least as new as the last epoch
 * completed before the read began (older: stale-read), of this file and
 * run (else cross-file), at its offset unless the operation moves blocks
 * (else misplaced), intact (else torn), and zero only if the operation
 * makes holes.  At the end, with everything quiet, the device writes a
 * final generation and the file must show it (else lost-write).
 */
#ifndef PR_RACE_H
#define PR_RACE_H

#include <stdint.h>
#include <time.h>

#include "pinrace.h"

/* What a worker is doing, for reports and for a watchdog. */
struct pr_worker {
	const char *name;
	const char *volatile op; /* the blocking call it is in, or NULL */
	volatile uint64_t off, len;
	volatile struct timespec since; /* when the call began */
	volatile uint64_t progress;	/* calls completed */
	int tid;
};

void pr_worker_enter(struct pr_worker *w, const char *op, uint64_t off,
		     uint64_t len);
void pr_worker_leave(struct pr_worker *w);

void pr_race_case(struct pr_ctx *ctx, const struct pr_case *c,
		  struct pr_result *res);

#endif
