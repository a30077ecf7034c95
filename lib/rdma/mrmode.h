/* SPDX-License-Identifier: GPL-2.0 */
/*
 * MR modes: how memory is registered.  Pinned modes take long-term pins
 * (FOLL_LONGTERM; with FOLL_WRITE when the access includes a write); ODP
 * takes none and relies on invalidation.
 *
 * The axis is the pin-source axis: an entry names its source ("rdma" when
 * .source is NULL; "cpu", "io_uring", "udmabuf", "vmsplice", "odirect",
 * "vfio"), reported as results.jsonl "source" beside "mr" (its mode).
 */
#ifndef PR_MRMODE_H
#define PR_MRMODE_H

struct pr_pin_ops;

struct pr_mr_mode {
	const char *name;   /* "pinned-rw", "pinned-ro", "odp" */
	const char *source; /* the pin source; NULL: "rdma" */
	int access;	    /* IBV_ACCESS_* */
	int device_writes;  /* RDMA WRITE into the MR is allowed */
	unsigned int needs;
	/* a source other than RDMA (lib/pin/pin.h); NULL: verbs */
	const struct pr_pin_ops *ops;
};

extern const struct pr_mr_mode pr_mr_pinned_rw;
extern const struct pr_mr_mode pr_mr_pinned_ro;
extern const struct pr_mr_mode pr_mr_odp;
/* pinned-rw, pinned-ro, odp; NULL-ended. */
extern const struct pr_mr_mode *const pr_mr_modes_all[];

#endif
