/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rdma_cm plumbing for two hosts: the test side resolves the peer and
 * connects a QP of its own (created on the PD its MRs live in), the peer
 * listens and accepts with a QP rdma_cm creates.  Addresses are
 * "HOST[:PORT]" like a TCP service; the port space is RDMA_PS_TCP.
 */
#ifndef PR_CM_H
#define PR_CM_H

#include <stddef.h>
#include <rdma/rdma_cma.h>

#define PR_CM_PORT 7471

struct pr_cm {
	struct rdma_event_channel *ec;
	struct rdma_cm_id *id; /* the connection (or the listener) */
};

/* "HOST[:PORT]" (or "[V6]:PORT") into an address.  0, or -1 with @err. */
int pr_cm_addr(const char *spec, struct sockaddr_storage *ss, char *err,
	       size_t len);
/*
 * Wait up to @ms for the next event on @ec, which must be @want.  0 with
 * *@ev (ack it), or -errno with the event seen or the timeout in @err.
 */
int pr_cm_wait(struct rdma_event_channel *ec, enum rdma_cm_event_type want,
	       int ms, struct rdma_cm_event **ev, char *err, size_t len);
/*
 * Active side: resolve the route to @peer.  Afterwards @cm->id->verbs is
 * the local device that reaches it.  0, or -errno with @err.
 */
int pr_cm_resolve(struct pr_cm *cm, const char *peer, int ms, char *err,
		  size_t len);
/*
 * Connect @qp (INIT state not yet reached, same device as the route) to
 * the peer: rdma_cm supplies the path, this side moves the QP through
 * INIT, RTR and RTS itself.  0, or -errno with @err.
 */
int pr_cm_connect_qp(struct pr_cm *cm, struct ibv_qp *qp, int ms, char *err,
		     size_t len);
/* Passive side: listen on @spec ("ADDR[:PORT]").  0, or -errno. */
int pr_cm_listen(struct pr_cm *cm, const char *spec, char *err, size_t len);
void pr_cm_close(struct pr_cm *cm);

#endif
