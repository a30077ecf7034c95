/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The RDMA side of a case: one device, one PD, and two RC QPs connected to
 * each other through the port's RoCE v2 loopback GID, so a single process
 * is both the initiator and the target.  The target's memory is the MR
 * under test; transfers move data between it and a registered bounce
 * buffer.
 */
#ifndef PR_VERBS_H
#define PR_VERBS_H

#include <stddef.h>
#include <stdint.h>
#include <infiniband/verbs.h>

struct pr_rdma {
	struct ibv_context *ctx;
	struct ibv_pd *pd;
	struct ibv_cq *cq;
	struct ibv_qp *qp[2]; /* [0] initiator, [1] target */
	uint8_t port;
	int gid_index;
	enum ibv_mtu mtu; /* active MTU of the port */
	struct ibv_device_attr_ex attr;
	void *buf; /* bounce buffer */
	size_t buf_len;
	struct ibv_mr *buf_mr;
	uint64_t next_wr_id;
	char name[IBV_SYSFS_NAME_MAX];
	uint32_t max_msg_sz; /* the port's largest message */
	/* Set by an attach hook (pr_rdma_set_attach): another side moves
	 * the data, and is told first when the device closes. */
	int (*xfer_hook)(struct pr_rdma *r, int write, struct ibv_mr *mr,
			 size_t off, size_t len, int timeout_ms, char *err,
			 size_t errlen);
	void (*close_hook)(struct pr_rdma *r);
};

/*
 * Open @devname (NULL: the first device), find an active port (the one
 * $PINRACE_RDMA_PORT names, if set) and its RoCE v2 IPv4 GID, create and
 * connect the QPs, allocate a bounce buffer of @buf_len.  0, or -errno
 * with a message in @err.
 */
int pr_rdma_open(struct pr_rdma *r, const char *devname, size_t buf_len,
		 char *err, size_t len);
/* (Re)allocate the bounce buffer: @buf_len bytes.  0, or -errno. */
int pr_rdma_set_buf(struct pr_rdma *r, size_t buf_len, char *err, size_t len);
/*
 * Call @fn at the end of every pr_rdma_open() in this process (NULL:
 * stop); lib/rdma/remote.c uses it to hand transfers to a peer host.
 */
void pr_rdma_set_attach(int (*fn)(struct pr_rdma *r, char *err, size_t len));
void pr_rdma_close(struct pr_rdma *r);
/* The device cases will use: $PINRACE_RDMA_DEV, else the first; "" if none. */
const char *pr_rdma_device_name(char *buf, size_t len);
/* 1 when RC ODP covers RDMA READ and WRITE to an MR on this device. */
int pr_rdma_has_odp(const struct pr_rdma *r);
/*
 * Register @addr..@len with @access.  NULL with *@err set to the errno
 * (a refusal) on failure.
 */
struct ibv_mr *pr_rdma_reg(struct pr_rdma *r, void *addr, size_t len,
			   int access, int *err);
/*
 * One RDMA READ (@write = 0: MR -> bounce buffer) or WRITE (bounce buffer
 * -> MR) of @len bytes at @off in @mr, waited for up to @timeout_ms.
 * 0 on success; -ETIMEDOUT; -errno if the post failed; or a positive
 * ibv_wc_status, with a message in @err.
 */
int pr_rdma_xfer(struct pr_rdma *r, int write, struct ibv_mr *mr, size_t off,
		 size_t len, int timeout_ms, char *err, size_t errlen);

#endif
