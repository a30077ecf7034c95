/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the test and the peer host (tests/peer-rdma.c) say to each other:
 * one fixed-size message each way over the connection's SEND/RECV.  The
 * test names an MR (address, rkey, length), a bounce buffer of its own and
 * a sequence of operations; the peer moves the data with one-sided RDMA
 * READs and WRITEs, so every byte crosses the link twice:
 *
 *   READ  (the device reads the MR):   MR -> peer -> bounce buffer
 *   WRITE (the device writes the MR):  bounce buffer -> peer -> MR
 *
 * and replies with each operation's completion status and its totals.
 * Host byte order on both sides (a swapped magic is refused).
 */
#ifndef PR_RPROTO_H
#define PR_RPROTO_H

#include <stdint.h>

#define PR_RPROTO_MAGIC 0x50524d31u /* "PRM1" */
#define PR_RPROTO_VERSION 1
#define PR_RPROTO_MAX_OPS 16

enum pr_rmsg_type {
	PR_RMSG_OPS = 1, /* do ops[0..nops) against the MR */
	PR_RMSG_BYE,	 /* the reply carries the totals; then disconnect */
	PR_RMSG_REPLY,
};

enum pr_rop_code {
	PR_ROP_READ = 1,
	PR_ROP_WRITE,
};

struct pr_rop {
	uint32_t code;
	int32_t status;	   /* reply: 0, an ibv_wc_status (> 0) or -errno */
	uint64_t off, len; /* in the MR; the bounce buffer from 0 */
};

struct pr_rmsg {
	uint32_t magic, version, type, nops;
	uint64_t seq;	/* a reply echoes its request's */
	int32_t status; /* reply: 0, or the first op's failure */
	uint32_t mr_rkey, buf_rkey, pad;
	uint64_t mr_addr, mr_len, buf_addr, buf_len;
	uint64_t reads, writes, bytes; /* reply: the peer's totals */
	struct pr_rop ops[PR_RPROTO_MAX_OPS];
	char text[192]; /* reply: the peer's host and device, or an error */
};

#endif
