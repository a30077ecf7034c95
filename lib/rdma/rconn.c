// SPDX-License-Identifier: GPL-2.0
/* The test side's connection to the peer host: attach, transfer, detach. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rconn.h"

static struct {
	char peer[256], dev[IBV_SYSFS_NAME_MAX];
	int timeout_ms;
	struct pr_cm cm; /* resolved or connected; .id NULL: neither */
	int connected;
	struct pr_rdma *r; /* the device attached */
	struct ibv_cq *cq;
	struct ibv_qp *qp;
	struct pr_rmsg *msg;		/* [0] out, [1] in */
	struct ibv_mr *msg_mr, *buf_mr; /* buf_mr: r->buf, remote access */
	void *buf_addr;
	uint64_t seq;
	struct pr_rconn_stats st;
} rc;

static int post_recv(void)
{
	struct ibv_sge sge = {.addr = (uintptr_t)&rc.msg[1],
			      .length = sizeof(rc.msg[1]),
			      .lkey = rc.msg_mr->lkey};
	struct ibv_recv_wr wr = {.wr_id = 2, .sg_list = &sge, .num_sge = 1};
	struct ibv_recv_wr *bad;

	return -ibv_post_recv(rc.qp, &wr, &bad);
}

static long ms_since(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - t0->tv_sec) * 1000 +
	       (now.tv_nsec - t0->tv_nsec) / 1000000;
}

/* Send msg[0], wait for its completion and for the reply in msg[1]. */
static int exchange(int ms, char *err, size_t len)
{
	struct ibv_sge sge = {.addr = (uintptr_t)&rc.msg[0],
			      .length = sizeof(rc.msg[0]),
			      .lkey = rc.msg_mr->lkey};
	struct ibv_send_wr wr = {.wr_id = 1,
				 .sg_list = &sge,
				 .num_sge = 1,
				 .opcode = IBV_WR_SEND,
				 .send_flags = IBV_SEND_SIGNALED},
			   *bad;
	struct timespec t0, pause = {0, 200000};
	struct ibv_wc wc;
	int done = 0, n;

	rc.msg[0].magic = PR_RPROTO_MAGIC;
	rc.msg[0].version = PR_RPROTO_VERSION;
	rc.msg[0].seq = ++rc.seq;
	n = ibv_post_send(rc.qp, &wr, &bad);
	if (n) {
		snprintf(err, len, "peer %s: ibv_post_send: %s", rc.peer,
			 strerror(n));
		return -n;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (done != 3) {
		n = ibv_poll_cq(rc.cq, 1, &wc);
		if (n > 0 && wc.status != IBV_WC_SUCCESS) {
			snprintf(err, len, "peer %s: %s completion: %s",
				 rc.peer, wc.wr_id == 1 ? "send" : "receive",
				 ibv_wc_status_str(wc.status));
			return -ECONNRESET;
		}
		if (n > 0)
			done |= wc.wr_id;
		else if (n < 0 || ms_since(&t0) > ms)
			break;
		else
			nanosleep(&pause, NULL);
	}
	if (done != 3) {
		snprintf(err, len,
			 "peer %s: no reply within %d ms (its log says why)",
			 rc.peer, ms);
		return -ETIMEDOUT;
	}
	if (rc.msg[1].magic != PR_RPROTO_MAGIC ||
	    rc.msg[1].type != PR_RMSG_REPLY || rc.msg[1].seq != rc.seq) {
		snprintf(
			err, len,
			"peer %s: a reply that is not one (magic %#x, type %u, seq %llu of %llu)",
			rc.peer, rc.msg[1].magic, rc.msg[1].type,
			(unsigned long long)rc.msg[1].seq,
			(unsigned long long)rc.seq);
		return -EPROTO;
	}
	return post_recv();
}

/* The bounce buffer, registered for the peer to read and write. */
static int bounce_mr(struct pr_rdma *r, char *err, size_t len)
{
	if (rc.buf_mr && rc.buf_addr == r->buf &&
	    rc.buf_mr->length >= r->buf_len)
		return 0;
	if (rc.buf_mr)
		ibv_dereg_mr(rc.buf_mr);
	rc.buf_mr = ibv_reg_mr(r->pd, r->buf, r->buf_len,
			       IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_READ |
				       IBV_ACCESS_REMOTE_WRITE);
	rc.buf_addr = r->buf;
	if (rc.buf_mr)
		return 0;
	snprintf(err, len, "registering the bounce buffer for the peer: %s",
		 strerror(errno));
	return -errno;
}

static int xfer(struct pr_rdma *r, int write, struct ibv_mr *mr, size_t off,
		size_t len, int timeout_ms, char *err, size_t errlen)
{
	struct pr_rmsg *m = &rc.msg[0];
	int n = bounce_mr(r, err, errlen);

	if (n)
		return n;
	memset(m, 0, sizeof(*m));
	m->type = PR_RMSG_OPS;
	m->nops = 1;
	m->mr_addr = (uintptr_t)mr->addr;
	m->mr_len = mr->length;
	m->mr_rkey = mr->rkey;
	m->buf_addr = (uintptr_t)r->buf;
	m->buf_len = r->buf_len;
	m->buf_rkey = rc.buf_mr->rkey;
	m->ops[0] = (struct pr_rop){.code = write ? PR_ROP_WRITE : PR_ROP_READ,
				    .off = off,
				    .len = len};
	/* four completions in a row: the request, the peer's two
	 * transfers, the reply; each may take up to @timeout_ms */
	n = exchange(4 * timeout_ms, err, errlen);
	if (n)
		return n;
	rc.st.ops++;
	rc.st.bytes += 2 * len;
	n = rc.msg[1].ops[0].status;
	if (n > 0)
		snprintf(err, errlen, "peer %s: RDMA %s of the MR: %s", rc.peer,
			 write ? "WRITE" : "READ",
			 ibv_wc_status_str((enum ibv_wc_status)n));
	else if (n < 0)
		snprintf(err, errlen, "peer %s: %s", rc.peer, rc.msg[1].text);
	return n;
}

static void detach(struct pr_rdma *r)
{
	char err[256];

	(void)r;
	if (rc.connected) {
		memset(&rc.msg[0], 0, sizeof(rc.msg[0]));
		rc.msg[0].type = PR_RMSG_BYE;
		if (!exchange(rc.timeout_ms, err, sizeof(err))) {
			rc.st.bye = rc.msg[1];
			rc.st.said_bye = 1;
		}
		rdma_disconnect(rc.cm.id);
	}
	if (rc.qp)
		ibv_destroy_qp(rc.qp);
	if (rc.cq)
		ibv_destroy_cq(rc.cq);
	if (rc.msg_mr)
		ibv_dereg_mr(rc.msg_mr);
	if (rc.buf_mr)
		ibv_dereg_mr(rc.buf_mr);
	free(rc.msg);
	pr_cm_close(&rc.cm);
	rc.qp = NULL, rc.cq = NULL, rc.msg = NULL;
	rc.msg_mr = rc.buf_mr = NULL;
	rc.r = NULL;
	rc.connected = 0;
}

static int setup(struct pr_rdma *r, char *err, size_t len)
{
	struct ibv_qp_init_attr ia = {
		.cap = {.max_send_wr = 4,
			.max_recv_wr = 4,
			.max_send_sge = 1,
			.max_recv_sge = 1},
		.qp_type = IBV_QPT_RC,
	};

	rc.cq = ibv_create_cq(r->ctx, 16, NULL, NULL, 0);
	ia.send_cq = ia.recv_cq = rc.cq;
	rc.qp = rc.cq ? ibv_create_qp(r->pd, &ia) : NULL;
	rc.msg = calloc(2, sizeof(*rc.msg));
	rc.msg_mr = rc.msg && rc.qp
			    ? ibv_reg_mr(r->pd, rc.msg, 2 * sizeof(*rc.msg),
					 IBV_ACCESS_LOCAL_WRITE)
			    : NULL;
	if (!rc.msg_mr) {
		snprintf(err, len, "the peer's QP on %s: %s", r->name,
			 strerror(errno));
		return -ENOMEM;
	}
	return 0;
}

static int attach(struct pr_rdma *r, char *err, size_t len)
{
	int n;

	if (strcmp(r->name, rc.dev) || rc.r) {
		snprintf(err, len, "%s: the peer %s is reached through %s%s",
			 r->name, rc.peer, rc.dev,
			 rc.r ? ", which is already connected" : "");
		return -EBUSY;
	}
	if (!rc.cm.id) { /* a second connection: a route of its own */
		n = pr_cm_resolve(&rc.cm, rc.peer, 2000, err, len);
		if (n)
			return n;
	}
	rc.r = r;
	r->close_hook = detach;
	n = setup(r, err, len);
	if (!n)
		n = pr_cm_connect_qp(&rc.cm, rc.qp, rc.timeout_ms, err, len);
	if (!n) {
		n = post_recv(); /* not before the QP is in INIT */
		if (n)
			snprintf(err, len, "posting a receive: %s",
				 strerror(-n));
	}
	if (n) {
		detach(r);
		r->close_hook = NULL;
		return n;
	}
	rc.connected = 1;
	r->xfer_hook = xfer;
	return 0;
}

void pr_rconn_arm(struct pr_cm *cm, const char *peer, const char *dev,
		  int timeout_ms)
{
	memset(&rc, 0, sizeof(rc));
	rc.cm = *cm;
	memset(cm, 0, sizeof(*cm));
	snprintf(rc.peer, sizeof(rc.peer), "%s", peer);
	snprintf(rc.dev, sizeof(rc.dev), "%s", dev);
	rc.timeout_ms = timeout_ms;
	pr_rdma_set_attach(attach);
}

void pr_rconn_disarm(struct pr_rconn_stats *st)
{
	pr_rdma_set_attach(NULL);
	if (rc.r)
		detach(rc.r);
	pr_cm_close(&rc.cm);
	*st = rc.st;
}
