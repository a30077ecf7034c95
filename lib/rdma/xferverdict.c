// SPDX-License-Identifier: GPL-2.0
/* The meaning of a race's failed RDMA transfer: see xferverdict.h. */
#include <errno.h>
#include <infiniband/verbs.h>

#include "xferverdict.h"

struct pr_xfer_result pr_xfer_decode(int rc)
{
	if (!rc)
		return (struct pr_xfer_result){PR_XFER_DONE, 0, 0};
	if (rc == -ETIMEDOUT)
		return (struct pr_xfer_result){PR_XFER_NO_COMPLETION, ETIMEDOUT,
					       0};
	if (rc < 0)
		return (struct pr_xfer_result){PR_XFER_NOT_POSTED, -rc, 0};
	return (struct pr_xfer_result){PR_XFER_COMPLETION_ERROR, EIO, rc};
}

enum pr_xfer_verdict pr_xfer_verdict(int rc, uint64_t seq_post,
				     uint64_t seq_now)
{
	struct pr_xfer_result x = pr_xfer_decode(rc);
	int still = !(seq_post & 1) && seq_now == seq_post;

	switch (x.kind) {
	case PR_XFER_DONE:
		return PR_XV_OK;
	case PR_XFER_COMPLETION_ERROR:
		if (!still)
			return PR_XV_RACED;
		return x.status == IBV_WC_REM_ACCESS_ERR ? PR_XV_DENIED
							 : PR_XV_ERROR;
	case PR_XFER_NO_COMPLETION:
		return still ? PR_XV_HANG : PR_XV_ERROR;
	default:
		return PR_XV_ERROR;
	}
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
