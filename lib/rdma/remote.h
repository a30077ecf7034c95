/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Two hosts: a case's transfers made by a peer program on another machine
 * (tests/peer-rdma.c), so that they cross a real link.  The case body does
 * not change: between pr_remote_begin() and pr_remote_end(), every
 * pr_rdma_open() of the case connects to the peer with rdma_cm, and
 * pr_rdma_xfer() asks the peer to RDMA READ or WRITE the MR (lib/rdma/rproto.h).
 *
 * The peer: $PINRACE_PEER (HOST[:PORT]).  Unset inside the pinrace guest,
 * setup/guest/twohost.sh up makes one: two network namespaces joined by a veth
 * pair, an rxe link on each end, the peer running in the second; it also
 * names the namespace to enter ($PINRACE_NETNS) and the link the
 * transfers must cross ($PINRACE_PEER_NETDEV).
 */
#ifndef PR_REMOTE_H
#define PR_REMOTE_H

#include "pinrace.h"

/*
 * Before the body: find the peer, enter its namespace, resolve the route;
 * ctx->rdma_dev becomes the device that reaches the peer.  0, or -1 with
 * the result set: skip when there is no peer, error when the named one
 * cannot be reached.
 */
int pr_remote_begin(struct pr_ctx *ctx, struct pr_result *res);
/*
 * After the body: the peer's and the link's counts go into the detail;
 * an error when the link ($PINRACE_PEER_NETDEV) carried fewer bytes than
 * the peer moved, or the peer counted other bytes than were asked for.
 */
void pr_remote_end(struct pr_ctx *ctx, struct pr_result *res);

#endif
