// SPDX-License-Identifier: GPL-2.0
/* rdma_cm: address parsing, events with a timeout, connect, listen. */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cm.h"

int pr_cm_addr(const char *spec, struct sockaddr_storage *ss, char *err,
	       size_t len)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai;
	char host[256], port[16];
	const char *colon = strrchr(spec, ':');
	int rc;

	snprintf(port, sizeof(port), "%d", PR_CM_PORT);
	if (spec[0] == '[') { /* [V6] or [V6]:PORT */
		const char *end = strchr(spec, ']');

		if (!end) {
			snprintf(err, len, "'%s': no ']'", spec);
			return -1;
		}
		snprintf(host, sizeof(host), "%.*s", (int)(end - spec - 1),
			 spec + 1);
		if (end[1] == ':')
			snprintf(port, sizeof(port), "%s", end + 2);
	} else if (colon && colon == strchr(spec, ':')) { /* HOST:PORT */
		snprintf(host, sizeof(host), "%.*s", (int)(colon - spec), spec);
		snprintf(port, sizeof(port), "%s", colon + 1);
	} else {
		snprintf(host, sizeof(host), "%s", spec);
	}
	rc = getaddrinfo(host, port, &hints, &ai);
	if (rc) {
		snprintf(err, len, "peer '%s': %s", spec, gai_strerror(rc));
		return -1;
	}
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	freeaddrinfo(ai);
	return 0;
}

int pr_cm_wait(struct rdma_event_channel *ec, enum rdma_cm_event_type want,
	       int ms, struct rdma_cm_event **ev, char *err, size_t len)
{
	struct pollfd p = {.fd = ec->fd, .events = POLLIN};
	int rc;

	do
		rc = poll(&p, 1, ms);
	while (rc < 0 && errno == EINTR);
	if (rc == 0) {
		snprintf(err, len, "no %s within %d ms", rdma_event_str(want),
			 ms);
		return -ETIMEDOUT;
	}
	if (rc < 0 || rdma_get_cm_event(ec, ev)) {
		snprintf(err, len, "waiting for %s: %s", rdma_event_str(want),
			 strerror(errno));
		return -errno;
	}
	if ((*ev)->event == want)
		return 0;
	snprintf(err, len, "expected %s, got %s (status %d%s%s)",
		 rdma_event_str(want), rdma_event_str((*ev)->event),
		 (*ev)->status, (*ev)->status < 0 ? ": " : "",
		 (*ev)->status < 0 ? strerror(-(*ev)->status) : "");
	rc = (*ev)->status < 0 ? (*ev)->status : -ECONNREFUSED;
	rdma_ack_cm_event(*ev);
	*ev = NULL;
	return rc;
}

/* Wait for @want and ack it at once. */
static int wait_ack(struct pr_cm *cm, enum rdma_cm_event_type want, int ms,
		    char *err, size_t len)
{
	struct rdma_cm_event *ev;
	int rc = pr_cm_wait(cm->ec, want, ms, &ev, err, len);

	if (!rc)
		rdma_ack_cm_event(ev);
	return rc;
}

static int create(struct pr_cm *cm, char *err, size_t len)
{
	memset(cm, 0, sizeof(*cm));
	cm->ec = rdma_create_event_channel();
	if (!cm->ec || rdma_create_id(cm->ec, &cm->id, NULL, RDMA_PS_TCP)) {
		snprintf(err, len, "rdma_cm: %s (is rdma_ucm loaded?)",
			 strerror(errno));
		return -errno;
	}
	return 0;
}

int pr_cm_resolve(struct pr_cm *cm, const char *peer, int ms, char *err,
		  size_t len)
{
	struct sockaddr_storage ss;
	int rc;

	if (pr_cm_addr(peer, &ss, err, len))
		return -EINVAL;
	rc = create(cm, err, len);
	if (rc)
		return rc;
	if (rdma_resolve_addr(cm->id, NULL, (struct sockaddr *)&ss, ms)) {
		snprintf(err, len, "rdma_resolve_addr(%s): %s", peer,
			 strerror(errno));
		return -errno;
	}
	rc = wait_ack(cm, RDMA_CM_EVENT_ADDR_RESOLVED, ms + 1000, err, len);
	if (!rc && rdma_resolve_route(cm->id, ms)) {
		snprintf(err, len, "rdma_resolve_route(%s): %s", peer,
			 strerror(errno));
		return -errno;
	}
	if (!rc)
		rc = wait_ack(cm, RDMA_CM_EVENT_ROUTE_RESOLVED, ms + 1000, err,
			      len);
	return rc;
}

/* Move @qp to @state with the attributes rdma_cm computes for it. */
static int qp_step(struct pr_cm *cm, struct ibv_qp *qp, enum ibv_qp_state state,
		   char *err, size_t len)
{
	struct ibv_qp_attr a = {.qp_state = state};
	int mask;

	if (rdma_init_qp_attr(cm->id, &a, &mask))
		goto fail;
	if (state == IBV_QPS_INIT) { /* the peer reads and writes our MRs */
		a.qp_access_flags = IBV_ACCESS_LOCAL_WRITE |
				    IBV_ACCESS_REMOTE_READ |
				    IBV_ACCESS_REMOTE_WRITE;
		mask |= IBV_QP_ACCESS_FLAGS;
	}
	if (!ibv_modify_qp(qp, &a, mask))
		return 0;
fail:
	snprintf(err, len, "moving QP %u to state %d: %s", qp->qp_num, state,
		 strerror(errno));
	return -errno;
}

int pr_cm_connect_qp(struct pr_cm *cm, struct ibv_qp *qp, int ms, char *err,
		     size_t len)
{
	struct ibv_device_attr da;
	struct rdma_conn_param p = {
		.qp_num = qp->qp_num, .retry_count = 7, .rnr_retry_count = 7};
	int rc;

	if (ibv_query_device(cm->id->verbs, &da)) {
		snprintf(err, len, "ibv_query_device: %s", strerror(errno));
		return -errno;
	}
	p.responder_resources = da.max_qp_rd_atom < 16 ? da.max_qp_rd_atom : 16;
	p.initiator_depth =
		da.max_qp_init_rd_atom < 16 ? da.max_qp_init_rd_atom : 16;
	rc = qp_step(cm, qp, IBV_QPS_INIT, err, len);
	if (rc)
		return rc;
	if (rdma_connect(cm->id, &p)) {
		snprintf(err, len, "rdma_connect: %s", strerror(errno));
		return -errno;
	}
	/* Without an rdma_cm QP the reply stays a CONNECT_RESPONSE. */
	rc = wait_ack(cm, RDMA_CM_EVENT_CONNECT_RESPONSE, ms, err, len);
	if (!rc)
		rc = qp_step(cm, qp, IBV_QPS_RTR, err, len);
	if (!rc)
		rc = qp_step(cm, qp, IBV_QPS_RTS, err, len);
	if (!rc && rdma_establish(cm->id)) {
		snprintf(err, len, "rdma_establish: %s", strerror(errno));
		rc = -errno;
	}
	return rc;
}

int pr_cm_listen(struct pr_cm *cm, const char *spec, char *err, size_t len)
{
	struct sockaddr_storage ss;
	int rc;

	if (pr_cm_addr(spec, &ss, err, len))
		return -EINVAL;
	rc = create(cm, err, len);
	if (rc)
		return rc;
	if (rdma_bind_addr(cm->id, (struct sockaddr *)&ss) ||
	    rdma_listen(cm->id, 4)) {
		snprintf(err, len, "listening on %s: %s", spec,
			 strerror(errno));
		return -errno;
	}
	return 0;
}

void pr_cm_close(struct pr_cm *cm)
{
	if (cm->id)
		rdma_destroy_id(cm->id);
	if (cm->ec)
		rdma_destroy_event_channel(cm->ec);
	memset(cm, 0, sizeof(*cm));
}
