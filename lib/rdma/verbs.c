// SPDX-License-Identifier: GPL-2.0
/* Verbs plumbing: device, GID scan, loopback RC QP pair, transfers. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "verbs.h"

#define CQ_DEPTH 256
#define QP_DEPTH 64

static struct ibv_context *open_by_name(const char *devname, char *name,
					char *err, size_t len)
{
	struct ibv_device **list;
	struct ibv_context *ctx = NULL;
	int n;

	list = ibv_get_device_list(&n);
	if (!list || !n) {
		snprintf(err, len,
			 "no RDMA device (ibv_get_device_list: none)");
		errno = ENODEV;
		goto out;
	}
	for (int i = 0; i < n; i++) {
		if (devname && strcmp(ibv_get_device_name(list[i]), devname))
			continue;
		snprintf(name, IBV_SYSFS_NAME_MAX, "%s",
			 ibv_get_device_name(list[i]));
		ctx = ibv_open_device(list[i]);
		if (!ctx)
			snprintf(err, len, "ibv_open_device(%s): %s", name,
				 strerror(errno));
		goto out;
	}
	snprintf(err, len, "RDMA device %s not found", devname);
	errno = ENODEV;
out:
	if (list)
		ibv_free_device_list(list);
	return ctx;
}

/* An IPv4-mapped RoCE v2 GID: ::ffff:a.b.c.d. */
static int is_roce_v2_ipv4(struct ibv_context *ctx, uint8_t port, int idx)
{
	static const uint8_t prefix[12] = {0, 0, 0, 0, 0,    0,
					   0, 0, 0, 0, 0xff, 0xff};
	union ibv_gid gid;
	struct ibv_gid_entry entry;

	if (ibv_query_gid(ctx, port, idx, &gid))
		return 0;
	if (memcmp(gid.raw, prefix, sizeof(prefix)))
		return 0;
	if (ibv_query_gid_ex(ctx, port, idx, &entry, 0))
		return 1; /* old kernel without the type: take it */
	return entry.gid_type == IBV_GID_TYPE_ROCE_V2;
}

static int find_port_gid(struct pr_rdma *r, char *err, size_t len)
{
	const char *want = getenv("PINRACE_RDMA_PORT");

	for (uint8_t port = 1; port <= r->attr.orig_attr.phys_port_cnt;
	     port++) {
		struct ibv_port_attr pa;

		if ((want && *want && atoi(want) != port) ||
		    ibv_query_port(r->ctx, port, &pa) ||
		    pa.state != IBV_PORT_ACTIVE)
			continue;
		for (int i = 0; i < pa.gid_tbl_len; i++) {
			if (!is_roce_v2_ipv4(r->ctx, port, i))
				continue;
			r->port = port;
			r->gid_index = i;
			r->mtu = pa.active_mtu;
			r->max_msg_sz = pa.max_msg_sz;
			return 0;
		}
	}
	snprintf(
		err, len,
		"%s: no active port with a RoCE v2 IPv4 GID (is the netdev up?)",
		r->name);
	return -ENETDOWN;
}

static struct ibv_qp *create_qp(struct pr_rdma *r)
{
	struct ibv_qp_init_attr ia = {
		.send_cq = r->cq,
		.recv_cq = r->cq,
		.cap = {.max_send_wr = QP_DEPTH,
			.max_recv_wr = 1,
			.max_send_sge = 1,
			.max_recv_sge = 1},
		.qp_type = IBV_QPT_RC,
		.sq_sig_all = 1,
	};

	return ibv_create_qp(r->pd, &ia);
}

/*
 * Local ACK timeout, 4.096 us * 2^t.  14 (67 ms) makes TCG guests
 * retransmit, and on rxe since 6.12 a retransmitted RDMA READ of a freshly
 * registered MR can never complete (retry_cnt 7 retries forever), so the
 * default is 20 (4 s); $PINRACE_QP_TIMEOUT sets it, e.g. low to provoke
 * that bug on purpose.
 */
static uint8_t qp_timeout(void)
{
	const char *s = getenv("PINRACE_QP_TIMEOUT");
	int t = s && *s ? atoi(s) : 20;

	return t < 1 || t > 31 ? 20 : t;
}

static int qp_to_rts(struct pr_rdma *r, struct ibv_qp *qp, uint32_t dest)
{
	union ibv_gid gid;
	struct ibv_qp_attr a = {
		.qp_state = IBV_QPS_INIT,
		.port_num = r->port,
		.qp_access_flags = IBV_ACCESS_REMOTE_READ |
				   IBV_ACCESS_REMOTE_WRITE |
				   IBV_ACCESS_LOCAL_WRITE,
	};

	if (ibv_modify_qp(qp, &a,
			  IBV_QP_STATE | IBV_QP_PKEY_INDEX | IBV_QP_PORT |
				  IBV_QP_ACCESS_FLAGS))
		return -errno;
	if (ibv_query_gid(r->ctx, r->port, r->gid_index, &gid))
		return -errno;
	memset(&a, 0, sizeof(a));
	a.qp_state = IBV_QPS_RTR;
	a.path_mtu = r->mtu; /* the port's active MTU, as perftest uses */
	a.dest_qp_num = dest;
	a.max_dest_rd_atomic = 16;
	a.min_rnr_timer = 12;
	a.ah_attr.is_global = 1;
	a.ah_attr.grh.dgid = gid;
	a.ah_attr.grh.sgid_index = r->gid_index;
	a.ah_attr.grh.hop_limit = 1;
	a.ah_attr.port_num = r->port;
	if (ibv_modify_qp(qp, &a,
			  IBV_QP_STATE | IBV_QP_AV | IBV_QP_PATH_MTU |
				  IBV_QP_DEST_QPN | IBV_QP_RQ_PSN |
				  IBV_QP_MAX_DEST_RD_ATOMIC |
				  IBV_QP_MIN_RNR_TIMER))
		return -errno;
	memset(&a, 0, sizeof(a));
	a.qp_state = IBV_QPS_RTS;
	a.timeout = qp_timeout();
	a.retry_cnt = 7;
	a.rnr_retry = 7;
	a.max_rd_atomic = 16;
	if (ibv_modify_qp(qp, &a,
			  IBV_QP_STATE | IBV_QP_TIMEOUT | IBV_QP_RETRY_CNT |
				  IBV_QP_RNR_RETRY | IBV_QP_SQ_PSN |
				  IBV_QP_MAX_QP_RD_ATOMIC))
		return -errno;
	return 0;
}

static int setup_qps(struct pr_rdma *r, char *err, size_t len)
{
	int rc;

	r->cq = ibv_create_cq(r->ctx, CQ_DEPTH, NULL, NULL, 0);
	if (!r->cq) {
		snprintf(err, len, "ibv_create_cq: %s", strerror(errno));
		return -errno;
	}
	for (int i = 0; i < 2; i++) {
		r->qp[i] = create_qp(r);
		if (!r->qp[i]) {
			snprintf(err, len, "ibv_create_qp: %s",
				 strerror(errno));
			return -errno;
		}
	}
	for (int i = 0; i < 2; i++) {
		rc = qp_to_rts(r, r->qp[i], r->qp[!i]->qp_num);
		if (rc) {
			snprintf(err, len, "connecting QP %u: %s",
				 r->qp[i]->qp_num, strerror(-rc));
			return rc;
		}
	}
	return 0;
}

int pr_rdma_set_buf(struct pr_rdma *r, size_t buf_len, char *err, size_t len)
{
	int e;

	if (r->buf_mr)
		ibv_dereg_mr(r->buf_mr);
	if (r->buf)
		munmap(r->buf, r->buf_len);
	r->buf_mr = NULL;
	r->buf = mmap(NULL, buf_len, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (r->buf == MAP_FAILED) {
		r->buf = NULL;
		snprintf(err, len, "bounce buffer: %s", strerror(errno));
		return -ENOMEM;
	}
	r->buf_len = buf_len;
	r->buf_mr = pr_rdma_reg(r, r->buf, buf_len, IBV_ACCESS_LOCAL_WRITE, &e);
	if (!r->buf_mr) {
		snprintf(
			err, len,
			"registering the anonymous bounce buffer: %s (memlock limit?)",
			strerror(e));
		return -e;
	}
	return 0;
}

static int (*attach_hook)(struct pr_rdma *r, char *err, size_t len);

void pr_rdma_set_attach(int (*fn)(struct pr_rdma *r, char *err, size_t len))
{
	attach_hook = fn;
}

int pr_rdma_open(struct pr_rdma *r, const char *devname, size_t buf_len,
		 char *err, size_t len)
{
	int rc;

	memset(r, 0, sizeof(*r));
	r->ctx = open_by_name(devname, r->name, err, len);
	if (!r->ctx)
		return -(errno ? errno : ENODEV);
	if (ibv_query_device_ex(r->ctx, NULL, &r->attr)) {
		snprintf(err, len, "ibv_query_device_ex: %s", strerror(errno));
		rc = -errno;
		goto fail;
	}
	rc = find_port_gid(r, err, len);
	if (rc)
		goto fail;
	r->pd = ibv_alloc_pd(r->ctx);
	if (!r->pd) {
		snprintf(err, len, "ibv_alloc_pd: %s", strerror(errno));
		rc = -errno;
		goto fail;
	}
	rc = setup_qps(r, err, len);
	if (!rc && buf_len)
		rc = pr_rdma_set_buf(r, buf_len, err, len);
	if (!rc && attach_hook)
		rc = attach_hook(r, err, len);
	if (!rc)
		return 0;
fail:
	pr_rdma_close(r);
	return rc;
}

void pr_rdma_close(struct pr_rdma *r)
{
	if (r->close_hook)
		r->close_hook(r);
	if (r->buf_mr)
		ibv_dereg_mr(r->buf_mr);
	if (r->buf)
		munmap(r->buf, r->buf_len);
	for (int i = 0; i < 2; i++)
		if (r->qp[i])
			ibv_destroy_qp(r->qp[i]);
	if (r->cq)
		ibv_destroy_cq(r->cq);
	if (r->pd)
		ibv_dealloc_pd(r->pd);
	if (r->ctx)
		ibv_close_device(r->ctx);
	memset(r, 0, sizeof(*r));
}

const char *pr_rdma_device_name(char *buf, size_t len)
{
	const char *dev = getenv("PINRACE_RDMA_DEV");
	struct ibv_device **list;
	int n = 0;

	buf[0] = '\0';
	if (dev && *dev) {
		snprintf(buf, len, "%s", dev);
		return buf;
	}
	list = ibv_get_device_list(&n);
	if (list && n)
		snprintf(buf, len, "%s", ibv_get_device_name(list[0]));
	if (list)
		ibv_free_device_list(list);
	return buf;
}

int pr_rdma_has_odp(const struct pr_rdma *r)
{
	const struct ibv_odp_caps *o = &r->attr.odp_caps;
	uint32_t rw = IBV_ODP_SUPPORT_READ | IBV_ODP_SUPPORT_WRITE;

	return (o->general_caps & IBV_ODP_SUPPORT) &&
	       (o->per_transport_caps.rc_odp_caps & rw) == rw;
}

struct ibv_mr *pr_rdma_reg(struct pr_rdma *r, void *addr, size_t len,
			   int access, int *err)
{
	struct ibv_mr *mr = ibv_reg_mr(r->pd, addr, len, access);

	*err = mr ? 0 : errno;
	return mr;
}

static long ms_since(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - t0->tv_sec) * 1000 +
	       (now.tv_nsec - t0->tv_nsec) / 1000000;
}

static int wait_wc(struct pr_rdma *r, uint64_t wr_id, int timeout_ms, char *err,
		   size_t errlen)
{
	struct timespec t0, pause = {0, 200000};
	struct ibv_wc wc;
	int n;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		n = ibv_poll_cq(r->cq, 1, &wc);
		if (n < 0) {
			snprintf(err, errlen, "ibv_poll_cq failed");
			return -EIO;
		}
		if (n && wc.wr_id == wr_id)
			break;
		if (!n && ms_since(&t0) > timeout_ms) {
			snprintf(err, errlen,
				 "no completion within %d ms (wr_id %llu)",
				 timeout_ms, (unsigned long long)wr_id);
			return -ETIMEDOUT;
		}
		if (!n)
			nanosleep(&pause, NULL);
	}
	if (wc.status != IBV_WC_SUCCESS)
		snprintf(err, errlen, "completion error: %s (vendor 0x%x)",
			 ibv_wc_status_str(wc.status), wc.vendor_err);
	return wc.status;
}

int pr_rdma_xfer(struct pr_rdma *r, int write, struct ibv_mr *mr, size_t off,
		 size_t len, int timeout_ms, char *err, size_t errlen)
{
	struct ibv_sge sge = {
		.addr = (uintptr_t)r->buf,
		.length = len,
		.lkey = r->buf_mr->lkey,
	};
	struct ibv_send_wr wr = {
		.wr_id = ++r->next_wr_id,
		.sg_list = &sge,
		.num_sge = 1,
		.opcode = write ? IBV_WR_RDMA_WRITE : IBV_WR_RDMA_READ,
		.send_flags = IBV_SEND_SIGNALED,
		.wr.rdma = {.remote_addr = (uintptr_t)mr->addr + off,
			    .rkey = mr->rkey},
	};
	struct ibv_send_wr *bad;
	int rc;

	if (r->xfer_hook)
		return r->xfer_hook(r, write, mr, off, len, timeout_ms, err,
				    errlen);
	if (len > r->buf_len) {
		snprintf(err, errlen, "transfer of %zu > bounce buffer %zu",
			 len, r->buf_len);
		return -EINVAL;
	}
	rc = ibv_post_send(r->qp[0], &wr, &bad);
	if (rc) {
		snprintf(err, errlen, "ibv_post_send: %s", strerror(rc));
		return -rc;
	}
	return wait_wc(r, wr.wr_id, timeout_ms, err, errlen);
}
