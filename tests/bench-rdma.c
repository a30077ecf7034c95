// SPDX-License-Identifier: GPL-2.0
/*
 * Verified RDMA throughput: RDMA READ (or WRITE) through an MR,
 * @qdepth work requests in flight (a completed READ's lane posts its next
 * request before the data is checked), every block of every completed READ
 * verified, every WRITE stamped first: the traffic of the race case at full
 * speed.  The MR is anonymous memory, as perftest's is, so setup/run/bench.sh
 * can compare it with ib_read_bw / ib_write_bw on the same device in the
 * same boot: the difference is the cost of stamping and verifying.
 *
 *   bench-rdma read|write [SECONDS [MSG_KIB [QDEPTH]]]
 *
 * Prints "verified_<op>_MBps: N".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sys/mman.h>

#include "csum.h"
#include "verbs.h"
#include "verify.h"

#define BS 4096

struct bench {
	struct pr_rdma r;
	void *mem;
	size_t len;
	struct ibv_mr *mr;
	size_t msg;
	int qdepth, write;
	uint64_t bad;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/*
 * Slot i: bounce buffer [i * msg, +msg) <-> MR offset (seq * msg) % len.
 * Each of the @qdepth lanes has two slots (2k, 2k + 1): one in flight, the
 * other being verified.
 */
static int post(struct bench *b, int slot, uint64_t seq)
{
	size_t off = (seq * b->msg) % b->len;
	struct ibv_sge sge = {.addr = (uintptr_t)b->r.buf + slot * b->msg,
			      .length = b->msg,
			      .lkey = b->r.buf_mr->lkey};
	struct ibv_send_wr
		wr =
			{
				.wr_id = ((uint64_t)slot << 48) | seq,
				.sg_list = &sge,
				.num_sge = 1,
				.opcode = b->write ? IBV_WR_RDMA_WRITE
						   : IBV_WR_RDMA_READ,
				.send_flags = IBV_SEND_SIGNALED,
				.wr.rdma = {.remote_addr =
						    (uintptr_t)b->mr->addr +
						    off,
					    .rkey = b->mr->rkey},
			},
		*bad;

	if (b->write) {
		struct pr_stamp s = {.file_id = 1,
				     .gen = 1 + seq,
				     .offset = off,
				     .seed = 1,
				     .writer = PR_W_RDMA};

		pr_blk_fill_range((void *)(uintptr_t)sge.addr, b->msg, BS, &s);
	}
	return ibv_post_send(b->r.qp[0], &wr, &bad);
}

static void verify(struct bench *b, int slot, uint64_t seq)
{
	struct pr_expect e = {.file_id = 1,
			      .gen = 1,
			      .offset = (seq * b->msg) % b->len,
			      .seed = 1};
	struct pr_vreport vr;

	pr_vreport_init(&vr);
	b->bad += pr_verify_range((char *)b->r.buf + slot * b->msg, b->msg, BS,
				  &e, "bench-mr", NULL, "bench", &vr);
}

static int run(struct bench *b, double secs, double *mbps)
{
	uint64_t seq = 0, done = 0;
	double t0 = now(), end = t0 + secs;
	struct ibv_wc wc[16];

	for (int i = 0; i < b->qdepth; i++)
		if (post(b, 2 * i, seq++))
			return -1;
	while (now() < end) {
		int n = ibv_poll_cq(b->r.cq, 16, wc);

		for (int i = 0; i < n; i++) {
			int slot = wc[i].wr_id >> 48;

			if (wc[i].status != IBV_WC_SUCCESS) {
				fprintf(stderr, "completion error: %s\n",
					ibv_wc_status_str(wc[i].status));
				return -1;
			}
			/* the lane's other buffer goes out first, so the
			 * device stays busy while this one is verified */
			if (post(b, slot ^ 1, seq++))
				return -1;
			if (!b->write)
				verify(b, slot,
				       wc[i].wr_id & 0xffffffffffffull);
			done++;
		}
	}
	*mbps = done * b->msg / (now() - t0) / 1e6;
	return 0;
}

static int setup(struct bench *b)
{
	struct pr_stamp s = {
		.file_id = 1, .gen = 1, .seed = 1, .writer = PR_W_MMAP};
	char err[256];
	int rc, e;

	/*
	 * Sized like the race cases' files (a few hundred KiB), not 16 MiB:
	 * under TCG every page touched costs soft-MMU TLB refills that
	 * perftest, cycling one message-sized buffer, never pays.
	 */
	b->len = 1 << 20;
	b->mem = mmap(NULL, b->len, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (b->mem == MAP_FAILED) {
		fprintf(stderr, "bench-rdma: mmap: %s\n", strerror(errno));
		return -1;
	}
	pr_blk_fill_range(b->mem, b->len, BS, &s);
	rc = pr_rdma_open(&b->r, getenv("PINRACE_RDMA_DEV"),
			  2 * b->msg * b->qdepth, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "bench-rdma: %s\n", err);
		return -1;
	}
	b->mr = pr_rdma_reg(&b->r, b->mem, b->len,
			    IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_READ |
				    IBV_ACCESS_REMOTE_WRITE,
			    &e);
	if (!b->mr) {
		fprintf(stderr, "bench-rdma: ibv_reg_mr: %s\n", strerror(e));
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct bench b = {0};
	double secs = argc > 2 ? atof(argv[2]) : 10, mbps = 0;

	if (argc < 2 || (strcmp(argv[1], "read") && strcmp(argv[1], "write"))) {
		fprintf(stderr,
			"usage: bench-rdma read|write [SECONDS [MSG_KIB [QDEPTH]]]\n");
		return 2;
	}
	b.write = !strcmp(argv[1], "write");
	b.msg = (argc > 3 ? atoi(argv[3]) : 64) << 10;
	b.qdepth = argc > 4 ? atoi(argv[4]) : 16;
	if (b.msg < BS || b.msg % BS || b.qdepth < 1 || b.qdepth > 64) {
		fprintf(stderr, "bench-rdma: bad message size or depth\n");
		return 2;
	}
	pr_csum_select();
	if (setup(&b) || run(&b, secs, &mbps))
		return 1;
	printf("verified_%s_MBps: %.1f\nbad_blocks: %llu\nchecksum: %s\n",
	       argv[1], mbps, (unsigned long long)b.bad,
	       pr_csum_name(pr_csum_current()));
	ibv_dereg_mr(b.mr);
	pr_rdma_close(&b.r);
	munmap(b.mem, b.len);
	return b.bad ? 1 : 0;
}
