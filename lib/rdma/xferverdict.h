/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What a failed RDMA transfer of a race means, from its return code
 * (pr_rdma_xfer(): 0, an ibv_wc_status, or -errno) and the layout
 * sequence at post and at completion (odd while a change is in flight).
 *
 *   PR_XV_OK      it completed
 *   PR_XV_RACED   an error while the layout moved: not a finding (an ODP
 *                 fault past a momentary EOF); start the device side afresh
 *   PR_XV_HANG    no completion, the layout standing still: a hang
 *   PR_XV_DENIED  a remote access error, the layout standing still: the
 *                 device was denied memory its MR covers (access-error)
 *   PR_XV_ERROR   anything else: the case cannot go on
 */
#ifndef PR_XFERVERDICT_H
#define PR_XFERVERDICT_H

#include <stdint.h>

/* What happened to a transfer: pr_rdma_xfer()'s int, typed (the one
 * decoder of it). */
enum pr_xfer_kind {
	PR_XFER_DONE,		  /* it completed */
	PR_XFER_NOT_POSTED,	  /* posting or waiting failed: err */
	PR_XFER_NO_COMPLETION,	  /* none within the timeout (ETIMEDOUT) */
	PR_XFER_COMPLETION_ERROR, /* completed with an error status */
};
struct pr_xfer_result {
	enum pr_xfer_kind kind;
	int err;    /* an errno: EIO for a completion error, 0 when done */
	int status; /* the ibv_wc_status of a completion error */
};
struct pr_xfer_result pr_xfer_decode(int rc);

enum pr_xfer_verdict {
	PR_XV_OK,
	PR_XV_RACED,
	PR_XV_HANG,
	PR_XV_DENIED,
	PR_XV_ERROR,
};

enum pr_xfer_verdict pr_xfer_verdict(int rc, uint64_t seq_post,
				     uint64_t seq_now);
const char *pr_xfer_verdict_name(enum pr_xfer_verdict v);

#endif
