// SPDX-License-Identifier: GPL-2.0
/* The peer host's side of a connection: accept, answer requests, tear down. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "rserve.h"

#define CONN_IDLE_MS (600 * 1000)
#define OP_TIMEOUT_MS 60000
#define MAX_OP_LEN (1ull << 30)

void pr_rserve_say(const char *fmt, ...)
{
	char when[32];
	time_t t = time(NULL);
	va_list ap;

	strftime(when, sizeof(when), "%F %T", localtime(&t));
	printf("%s peer-rdma[%d]: ", when, getpid());
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

static int wait_wc(struct pr_rserve *c, uint64_t wr_id, int ms)
{
	struct timespec t0, now, pause = {0, 100000};
	struct ibv_wc wc;
	int n;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		n = ibv_poll_cq(c->cq, 1, &wc);
		if (n > 0 && wc.wr_id == wr_id)
			return wc.status;
		if (n > 0 && wc.status)
			return wc.status;
		if (n < 0)
			return -EIO;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((now.tv_sec - t0.tv_sec) * 1000 +
			    (now.tv_nsec - t0.tv_nsec) / 1000000 >
		    ms)
			return -ETIMEDOUT;
		if (!n)
			nanosleep(&pause, NULL);
	}
}

static int post(struct pr_rserve *c, enum ibv_wr_opcode op, void *local,
		size_t len, uint64_t raddr, uint32_t rkey, uint32_t lkey)
{
	struct ibv_sge sge = {
		.addr = (uintptr_t)local, .length = len, .lkey = lkey};
	struct ibv_send_wr wr = {.wr_id = ++c->wr_id,
				 .sg_list = &sge,
				 .num_sge = 1,
				 .opcode = op,
				 .send_flags = IBV_SEND_SIGNALED,
				 .wr.rdma = {.remote_addr = raddr,
					     .rkey = rkey}},
			   *bad;
	int rc = ibv_post_send(c->id->qp, &wr, &bad);

	return rc ? -rc : wait_wc(c, wr.wr_id, OP_TIMEOUT_MS);
}

static int post_recv(struct pr_rserve *c)
{
	struct ibv_sge sge = {.addr = (uintptr_t)&c->msg[0],
			      .length = sizeof(c->msg[0]),
			      .lkey = c->msg_mr->lkey};
	struct ibv_recv_wr wr = {.wr_id = 0, .sg_list = &sge, .num_sge = 1};
	struct ibv_recv_wr *bad;

	return -ibv_post_recv(c->id->qp, &wr, &bad);
}

static int stage(struct pr_rserve *c, size_t len)
{
	if (len <= c->stage_len)
		return 0;
	if (c->stage_mr)
		ibv_dereg_mr(c->stage_mr);
	if (c->stage)
		munmap(c->stage, c->stage_len);
	c->stage_mr = NULL, c->stage_len = 0;
	c->stage = mmap(NULL, len, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (c->stage == MAP_FAILED) {
		c->stage = NULL;
		return -ENOMEM;
	}
	c->stage_len = len;
	c->stage_mr = ibv_reg_mr(c->pd, c->stage, len, IBV_ACCESS_LOCAL_WRITE);
	return c->stage_mr ? 0 : -errno;
}

/* One op: two one-sided transfers through the staging buffer. */
static int do_op(struct pr_rserve *c, const struct pr_rmsg *m,
		 struct pr_rop *op)
{
	uint64_t mr = m->mr_addr + op->off;
	uint32_t lk;
	int rc;

	if (op->off + op->len > m->mr_len || op->len > m->buf_len ||
	    op->len > MAX_OP_LEN ||
	    (op->code != PR_ROP_READ && op->code != PR_ROP_WRITE))
		return -EINVAL;
	rc = stage(c, op->len);
	if (rc)
		return rc;
	lk = c->stage_mr->lkey;
	if (op->code == PR_ROP_READ) {
		rc = post(c, IBV_WR_RDMA_READ, c->stage, op->len, mr,
			  m->mr_rkey, lk);
		if (!rc)
			rc = post(c, IBV_WR_RDMA_WRITE, c->stage, op->len,
				  m->buf_addr, m->buf_rkey, lk);
	} else {
		rc = post(c, IBV_WR_RDMA_READ, c->stage, op->len, m->buf_addr,
			  m->buf_rkey, lk);
		if (!rc)
			rc = post(c, IBV_WR_RDMA_WRITE, c->stage, op->len, mr,
				  m->mr_rkey, lk);
	}
	if (!rc) {
		c->reads += op->code == PR_ROP_READ;
		c->writes += op->code == PR_ROP_WRITE;
		c->bytes += 2 * op->len;
	}
	return rc;
}

/* Answer one request.  0 to go on, 1 after goodbye, -1 when broken. */
static int handle(struct pr_rserve *c)
{
	struct pr_rmsg *in = &c->msg[0], *out = &c->msg[1];
	int rc = 0, ret = 0;

	*out = (struct pr_rmsg){.magic = PR_RPROTO_MAGIC,
				.version = PR_RPROTO_VERSION,
				.type = PR_RMSG_REPLY,
				.seq = in->seq};
	snprintf(out->text, sizeof(out->text), "%s", c->who);
	if (in->magic != PR_RPROTO_MAGIC || in->version != PR_RPROTO_VERSION ||
	    in->nops > PR_RPROTO_MAX_OPS) {
		pr_rserve_say(
			"bad request: magic %#x version %u nops %u (another byte order or version?)",
			in->magic, in->version, in->nops);
		rc = -EPROTO;
	} else if (in->type == PR_RMSG_OPS) {
		out->nops = in->nops;
		for (uint32_t i = 0; i < in->nops && !rc; i++) {
			out->ops[i] = in->ops[i];
			rc = out->ops[i].status = do_op(c, in, &out->ops[i]);
		}
		if (rc > 0) { /* a completion error: the QP is gone */
			pr_rserve_say(
				"RDMA on rkey %#x: %s; dropping the connection",
				in->mr_rkey, ibv_wc_status_str(rc));
			return -1;
		}
	} else if (in->type == PR_RMSG_BYE) {
		ret = 1;
	}
	out->status = rc;
	if (rc < 0)
		snprintf(out->text, sizeof(out->text), "%s: %s", c->who,
			 strerror(-rc));
	out->reads = c->reads, out->writes = c->writes, out->bytes = c->bytes;
	if (post_recv(c) ||
	    post(c, IBV_WR_SEND, out, sizeof(*out), 0, 0, c->msg_mr->lkey))
		return -1;
	return ret;
}

static int disconnected(struct pr_rserve *c)
{
	struct rdma_cm_event *ev;
	int gone;

	if (rdma_get_cm_event(c->ec, &ev))
		return 0; /* EAGAIN: nothing */
	gone = ev->event == RDMA_CM_EVENT_DISCONNECTED ||
	       ev->event == RDMA_CM_EVENT_DEVICE_REMOVAL;
	rdma_ack_cm_event(ev);
	return gone;
}

void pr_rserve_run(struct pr_rserve *c)
{
	struct timespec pause = {0, 100000}, t0, now;
	struct ibv_wc wc;
	int n, polls = 0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		n = ibv_poll_cq(c->cq, 1, &wc);
		if (n > 0 && (wc.status || wc.opcode != IBV_WC_RECV))
			break;
		if (n > 0) {
			if (handle(c))
				break;
			clock_gettime(CLOCK_MONOTONIC, &t0);
			continue;
		}
		if (n < 0 || (++polls % 1000 == 0 && disconnected(c)))
			break;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((now.tv_sec - t0.tv_sec) * 1000 > CONN_IDLE_MS) {
			pr_rserve_say("%s: idle for %d s, dropping it", c->who,
				      CONN_IDLE_MS / 1000);
			break;
		}
		nanosleep(&pause, NULL);
	}
	pr_rserve_say("%s: done, %llu READ and %llu WRITE ops, %llu bytes",
		      c->who, (unsigned long long)c->reads,
		      (unsigned long long)c->writes,
		      (unsigned long long)c->bytes);
}

void pr_rserve_drop(struct pr_rserve *c)
{
	if (c->id && c->id->qp) {
		rdma_disconnect(c->id);
		rdma_destroy_qp(c->id);
	}
	if (c->stage_mr)
		ibv_dereg_mr(c->stage_mr);
	if (c->stage)
		munmap(c->stage, c->stage_len);
	if (c->msg_mr)
		ibv_dereg_mr(c->msg_mr);
	free(c->msg);
	if (c->cq)
		ibv_destroy_cq(c->cq);
	if (c->pd)
		ibv_dealloc_pd(c->pd);
	if (c->id)
		rdma_destroy_id(c->id);
	if (c->ec)
		rdma_destroy_event_channel(c->ec);
	memset(c, 0, sizeof(*c));
}

static int min16(int v)
{
	return v < 16 ? v : 16;
}

/* Set up a QP for the request on @id and accept it.  0 or -1 (logged). */
int pr_rserve_accept(struct pr_rserve *c, struct rdma_cm_id *id)
{
	struct ibv_qp_init_attr ia = {.cap = {.max_send_wr = 8,
					      .max_recv_wr = 4,
					      .max_send_sge = 1,
					      .max_recv_sge = 1},
				      .qp_type = IBV_QPT_RC};
	struct rdma_conn_param p = {.retry_count = 7, .rnr_retry_count = 7};
	struct rdma_cm_event *ev;
	struct ibv_device_attr da;
	char host[64] = "?", err[256];

	c->id = id;
	c->ec = rdma_create_event_channel();
	if (!c->ec || rdma_migrate_id(id, c->ec))
		goto fail;
	c->pd = ibv_alloc_pd(id->verbs);
	c->cq = ibv_create_cq(id->verbs, 16, NULL, NULL, 0);
	ia.send_cq = ia.recv_cq = c->cq;
	if (!c->pd || !c->cq || rdma_create_qp(id, c->pd, &ia))
		goto fail;
	c->msg = calloc(2, sizeof(*c->msg));
	c->msg_mr = c->msg ? ibv_reg_mr(c->pd, c->msg, 2 * sizeof(*c->msg),
					IBV_ACCESS_LOCAL_WRITE)
			   : NULL;
	if (!c->msg_mr || post_recv(c) || ibv_query_device(id->verbs, &da))
		goto fail;
	p.responder_resources = min16(da.max_qp_rd_atom);
	p.initiator_depth = min16(da.max_qp_init_rd_atom);
	if (rdma_accept(id, &p))
		goto fail;
	if (pr_cm_wait(c->ec, RDMA_CM_EVENT_ESTABLISHED, 5000, &ev, err,
		       sizeof(err))) {
		pr_rserve_say("accepting: %s", err);
		return -1;
	}
	rdma_ack_cm_event(ev);
	fcntl(c->ec->fd, F_SETFL, fcntl(c->ec->fd, F_GETFL) | O_NONBLOCK);
	gethostname(host, sizeof(host) - 1);
	snprintf(c->who, sizeof(c->who), "%s/%s", host,
		 ibv_get_device_name(id->verbs->device));
	pr_rserve_say("connected: %s", c->who);
	return 0;
fail:
	pr_rserve_say("accepting a connection: %s", strerror(errno));
	if (!c->id->qp)
		rdma_reject(id, NULL, 0);
	return -1;
}
