// SPDX-License-Identifier: GPL-2.0
/* The meaning of a race's failed RDMA transfer: see xferverdict.h. */
#include <errno.h>
#include <infiniband/verbs.h>

#include "xferverdict.h"

enum pr_xfer_verdict pr_xfer_verdict(int rc, uint64_t seq_post,
				     uint64_t seq_now)
{
	int still = !(seq_post & 1) && seq_now == seq_post;

	if (!rc)
		return PR_XV_OK;
	if (rc > 0 && !still)
		return PR_XV_RACED;
	if (rc == -ETIMEDOUT && still)
		return PR_XV_HANG;
	if (rc == IBV_WC_REM_ACCESS_ERR && still)
		return PR_XV_DENIED;
	return PR_XV_ERROR;
}

const char *pr_xfer_verdict_name(enum pr_xfer_verdict v)
{
	static const char *const names[] = {
		[PR_XV_OK] = "ok",	 [PR_XV_RACED] = "raced",
		[PR_XV_HANG] = "hang",	 [PR_XV_DENIED] = "denied",
		[PR_XV_ERROR] = "error",
	};

	return v <= PR_XV_ERROR ? names[v] : "?";
}
