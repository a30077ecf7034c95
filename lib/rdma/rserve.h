/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The peer host's side of one connection (tests/peer-rdma.c): a QP of its
 * own for the request, then the test's requests (lib/rdma/rproto.h) answered
 * until goodbye: each operation is an RDMA READ and an RDMA WRITE through
 * a staging buffer, so the data crosses the link both ways.
 */
#ifndef PR_RSERVE_H
#define PR_RSERVE_H

#include <stdint.h>

#include "cm.h"
#include "rproto.h"

struct pr_rserve {
	struct rdma_event_channel *ec;
	struct rdma_cm_id *id;
	struct ibv_pd *pd;
	struct ibv_cq *cq;
	struct pr_rmsg *msg; /* [0] in, [1] out */
	struct ibv_mr *msg_mr, *stage_mr;
	void *stage;
	size_t stage_len;
	uint64_t reads, writes, bytes, wr_id;
	char who[160];
};

/* A timestamped line on stdout (the peer's log). */
void pr_rserve_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Set up a QP for the request on @id and accept it.  0 or -1 (logged). */
int pr_rserve_accept(struct pr_rserve *c, struct rdma_cm_id *id);
/* Answer requests until goodbye, a disconnect, an error or 10 idle minutes. */
void pr_rserve_run(struct pr_rserve *c);
/* Tear down whatever accept set up. */
void pr_rserve_drop(struct pr_rserve *c);

#endif
