/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The connection to the peer host behind lib/rdma/remote.c: attached to a
 * pr_rdma when it opens, it carries that device's transfers to the peer
 * (lib/rdma/rproto.h) and says goodbye when the device closes.
 */
#ifndef PR_RCONN_H
#define PR_RCONN_H

#include <stdint.h>

#include "cm.h"
#include "rproto.h"
#include "verbs.h"

struct pr_rconn_stats {
	uint64_t ops, bytes; /* asked of the peer; bytes counted twice */
	struct pr_rmsg bye;  /* the peer's totals, when it said goodbye */
	int said_bye;
};

/*
 * Connect transfers of devices named @dev to @peer from now on (resolving
 * it anew for each connection), waiting @timeout_ms for replies.  The
 * route must already be resolved in @cm (taken over).
 */
void pr_rconn_arm(struct pr_cm *cm, const char *peer, const char *dev,
		  int timeout_ms);
/* Stop; drop a connection still open; the counts so far in @st. */
void pr_rconn_disarm(struct pr_rconn_stats *st);

#endif
