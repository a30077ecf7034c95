// SPDX-License-Identifier: GPL-2.0
/* A polled NVMe driver over VFIO: reset, queues, Identify, Read/Write. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "nvme.h"

#define REG_CAP 0x00
#define REG_INTMS 0x0c
#define REG_CC 0x14
#define REG_CSTS 0x1c
#define REG_AQA 0x24
#define REG_ASQ 0x28
#define REG_ACQ 0x30
#define REG_DB 0x1000
#define CC_EN 0x1u
#define CC_QES ((4u << 20) | (6u << 16)) /* CQE 16 bytes, SQE 64 bytes */
#define CSTS_RDY 0x1u
#define CSTS_CFS 0x2u

#define QD 16 /* entries in each queue */
#define PG 4096u
#define OFF_SQ(q) ((q)*2 * PG)
#define OFF_CQ(q) ((q)*2 * PG + PG)
#define OFF_IDENT (4 * PG)
#define OFF_PRP (5 * PG)
#define MEM_LEN (6 * PG)
#define MAX_XFER (256u << 10)

enum { OP_CREATE_SQ = 0x01, OP_CREATE_CQ = 0x05, OP_IDENTIFY = 0x06 };
enum { OP_WRITE = 0x01, OP_READ = 0x02 };

struct sqe {
	uint32_t cdw0, nsid, rsvd[2];
	uint64_t mptr, prp1, prp2;
	uint32_t cdw10, cdw11, cdw12, cdw13, cdw14, cdw15;
};

static uint32_t rd32(struct pr_nvme *n, unsigned int reg)
{
	return *(volatile uint32_t *)(n->v->bar0 + reg);
}

static void wr32(struct pr_nvme *n, unsigned int reg, uint32_t val)
{
	*(volatile uint32_t *)(n->v->bar0 + reg) = val;
}

static void wr64(struct pr_nvme *n, unsigned int reg, uint64_t val)
{
	wr32(n, reg, (uint32_t)val);
	wr32(n, reg + 4, val >> 32);
}

int pr_nvme_parse_lba(const char *s, uint64_t *start, uint64_t *count)
{
	char *end;

	if (!s || !isdigit((unsigned char)*s))
		return -EINVAL;
	*start = strtoull(s, &end, 10);
	if (*end != '+' || !isdigit((unsigned char)end[1]))
		return -EINVAL;
	s = end + 1;
	*count = strtoull(s, &end, 10);
	if (*end || !*count || *start + *count < *start)
		return -EINVAL;
	return 0;
}

/* Wait until CSTS.RDY is @rdy; CAP.TO bounds it (units of 500 ms). */
static int wait_ready(struct pr_nvme *n, int rdy, int timeout_ms)
{
	struct timespec t0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		uint32_t csts = rd32(n, REG_CSTS);

		if (csts == 0xffffffffu || (rdy && (csts & CSTS_CFS)))
			return -EIO;
		if (!!(csts & CSTS_RDY) == rdy)
			return 0;
		if (pr_vfio_ms_since(&t0) > timeout_ms)
			return -ETIMEDOUT;
		usleep(1000);
	}
}

static int submit(struct pr_nvme *n, int q, struct sqe *e)
{
	struct sqe *sq = (struct sqe *)(n->mem + OFF_SQ(q));

	e->cdw0 |= (uint32_t)++n->cid << 16;
	sq[n->sq_tail[q]] = *e;
	n->sq_tail[q] = (n->sq_tail[q] + 1) % QD;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	wr32(n, REG_DB + 2 * q * n->dstrd, n->sq_tail[q]);
	return 0;
}

static volatile uint32_t *cqe_dw3(struct pr_nvme *n, int q)
{
	return (volatile uint32_t *)(n->mem + OFF_CQ(q) + 16 * n->cq_head[q] +
				     12);
}

static int cq_empty(struct pr_nvme *n, int q)
{
	return ((*cqe_dw3(n, q) >> 16) & 1) != n->phase[q];
}

/* Poll queue @q's next completion; its status, or -ETIMEDOUT. */
static int reap(struct pr_nvme *n, int q, int timeout_ms)
{
	struct timespec t0;
	uint32_t dw3;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (cq_empty(n, q)) {
		if (pr_vfio_ms_since(&t0) > timeout_ms)
			return -ETIMEDOUT;
		usleep(200);
	}
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	dw3 = *cqe_dw3(n, q);
	if (++n->cq_head[q] == QD) {
		n->cq_head[q] = 0;
		n->phase[q] ^= 1;
	}
	wr32(n, REG_DB + (2 * q + 1) * n->dstrd, n->cq_head[q]);
	n->status = dw3 >> 17;
	return n->status & 0x7ff ? -PR_NVME_STATUS : 0;
}

static int admin(struct pr_nvme *n, struct sqe *e, const char *what)
{
	submit(n, 0, e);
	return PR_CALL(&n->v->w, what, e->prp1, 0, reap(n, 0, 5000));
}

static int identify(struct pr_nvme *n, uint32_t nsid, uint32_t cns)
{
	struct sqe e = {.cdw0 = OP_IDENTIFY,
			.nsid = nsid,
			.prp1 = PR_NVME_IOVA + OFF_IDENT,
			.cdw10 = cns};

	return admin(n, &e, "nvme: Identify");
}

/* Identify the controller (MDTS, model) and namespace 1 (size, LBA). */
static int identify_all(struct pr_nvme *n, char *err, size_t len)
{
	const uint8_t *id = n->mem + OFF_IDENT;
	uint32_t lbaf;
	int rc = identify(n, 0, 1);

	if (rc)
		return snprintf(err, len, "Identify controller failed"), rc;
	memcpy(n->model, id + 24, 40);
	for (int i = 39; i >= 0 && n->model[i] == ' '; i--)
		n->model[i] = '\0';
	n->max_xfer = MAX_XFER;
	if (id[77] && id[77] < 6 && (PG << id[77]) < n->max_xfer)
		n->max_xfer = PG << id[77];
	rc = identify(n, 1, 0);
	if (rc)
		return snprintf(err, len, "Identify namespace 1 failed"), rc;
	memcpy(&n->nsze, id, 8);
	memcpy(&lbaf, id + 128 + 4 * (id[26] & 0xf), 4);
	n->lba_size = 1u << ((lbaf >> 16) & 0xff);
	if (!n->nsze || n->lba_size < 512 || n->lba_size > PG ||
	    (lbaf & 0xffff)) {
		snprintf(
			err, len,
			"namespace 1: %llu LBAs of %u bytes, %u metadata bytes: not a format the driver handles",
			(unsigned long long)n->nsze, n->lba_size,
			lbaf & 0xffff);
		return -EOPNOTSUPP;
	}
	return 0;
}

static int create_queues(struct pr_nvme *n)
{
	struct sqe cq = {.cdw0 = OP_CREATE_CQ,
			 .prp1 = PR_NVME_IOVA + OFF_CQ(1),
			 .cdw10 = (QD - 1) << 16 | 1,
			 .cdw11 = 1}; /* physically contiguous, no interrupts */
	struct sqe sq = {.cdw0 = OP_CREATE_SQ,
			 .prp1 = PR_NVME_IOVA + OFF_SQ(1),
			 .cdw10 = (QD - 1) << 16 | 1,
			 .cdw11 = 1u << 16 | 1};
	int rc = admin(n, &cq, "nvme: Create I/O CQ");

	return rc ? rc : admin(n, &sq, "nvme: Create I/O SQ");
}

/* Reset, then enable with the admin queues; CAP.TO bounds each wait. */
static int enable(struct pr_nvme *n, char *err, size_t len)
{
	uint64_t cap = rd32(n, REG_CAP) | (uint64_t)rd32(n, REG_CAP + 4) << 32;
	int to = (int)((cap >> 24) & 0xff) * 500 + 500, rc;

	n->dstrd = 4u << ((cap >> 32) & 0xf);
	if ((cap & 0xffff) + 1 < QD || ((cap >> 48) & 0xf)) {
		snprintf(err, len,
			 "CAP 0x%llx: queues shorter than %d or no 4 KiB pages",
			 (unsigned long long)cap, QD);
		return -EOPNOTSUPP;
	}
	wr32(n, REG_CC, rd32(n, REG_CC) & ~CC_EN);
	rc = PR_CALL(&n->v->w, "nvme: wait for CSTS.RDY=0", 0, 0,
		     wait_ready(n, 0, to));
	if (rc)
		return snprintf(err, len, "disabling the controller"), rc;
	wr32(n, REG_INTMS, 0xffffffffu);
	wr32(n, REG_AQA, (QD - 1) << 16 | (QD - 1));
	wr64(n, REG_ASQ, PR_NVME_IOVA + OFF_SQ(0));
	wr64(n, REG_ACQ, PR_NVME_IOVA + OFF_CQ(0));
	wr32(n, REG_CC, CC_QES | CC_EN);
	rc = PR_CALL(&n->v->w, "nvme: wait for CSTS.RDY=1", 0, 0,
		     wait_ready(n, 1, to));
	if (rc)
		snprintf(err, len, "enabling the controller (CSTS 0x%x)",
			 rd32(n, REG_CSTS));
	return rc;
}

int pr_nvme_open(struct pr_nvme *n, struct pr_vfio *v, uint64_t start,
		 uint64_t count, char *err, size_t len)
{
	int rc;

	*n = (struct pr_nvme){.v = v,
			      .phase = {1, 1},
			      .lba_start = start,
			      .lba_count = count};
	n->mem = mmap(NULL, MEM_LEN, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (n->mem == MAP_FAILED) {
		n->mem = NULL;
		return snprintf(err, len, "the driver's memory"), -errno;
	}
	memset(n->mem, 0, MEM_LEN);
	rc = pr_vfio_map(v, n->mem, PR_NVME_IOVA, MEM_LEN, 1);
	if (rc)
		return snprintf(err, len, "mapping the driver's queues"), rc;
	rc = enable(n, err, len);
	if (!rc)
		rc = identify_all(n, err, len);
	if (!rc && (rc = create_queues(n)))
		snprintf(err, len, "creating the I/O queues");
	if (!rc && (start >= n->nsze || count > n->nsze - start)) {
		snprintf(
			err, len,
			"the allowed LBAs %llu+%llu lie outside namespace 1 (%llu LBAs)",
			(unsigned long long)start, (unsigned long long)count,
			(unsigned long long)n->nsze);
		rc = -ERANGE;
	}
	if (!rc && n->max_xfer > count * n->lba_size)
		n->max_xfer = count * n->lba_size;
	if (rc == -PR_NVME_STATUS) {
		char s[64];

		snprintf(err + strlen(err), len - strlen(err), ": %s",
			 pr_nvme_status_name(n->status, s, sizeof(s)));
	}
	return rc;
}

void pr_nvme_close(struct pr_nvme *n)
{
	if (!n->mem)
		return;
	if (n->v->bar0) {
		wr32(n, REG_CC, rd32(n, REG_CC) & ~CC_EN);
		wait_ready(n, 0, 2000);
	}
	pr_vfio_unmap(n->v, PR_NVME_IOVA, MEM_LEN, NULL);
	munmap(n->mem, MEM_LEN);
	n->mem = NULL;
}

/* PRP1 and PRP2 (a second page, or the list) for [@iova, +@len). */
static void prps(struct pr_nvme *n, struct sqe *e, uint64_t iova, uint32_t len)
{
	uint64_t page = iova & ~(uint64_t)(PG - 1);
	uint32_t pages = (iova - page + len + PG - 1) / PG;
	uint64_t *list = (uint64_t *)(n->mem + OFF_PRP);

	e->prp1 = iova;
	if (pages == 2)
		e->prp2 = page + PG;
	if (pages <= 2)
		return;
	for (uint32_t i = 1; i < pages; i++)
		list[i - 1] = page + i * PG;
	e->prp2 = PR_NVME_IOVA + OFF_PRP;
}

int pr_nvme_submit(struct pr_nvme *n, uint64_t iova, uint32_t len, int to_disk)
{
	struct sqe e = {.cdw0 = to_disk ? OP_WRITE : OP_READ, .nsid = 1};

	if (!len || len % n->lba_size || len > n->max_xfer || n->pending)
		return -EINVAL;
	prps(n, &e, iova, len);
	e.cdw10 = (uint32_t)n->lba_start;
	e.cdw11 = n->lba_start >> 32;
	e.cdw12 = len / n->lba_size - 1;
	n->pending = 1;
	return submit(n, 1, &e);
}

int pr_nvme_busy(struct pr_nvme *n)
{
	return n->pending && cq_empty(n, 1);
}

int pr_nvme_wait(struct pr_nvme *n, int timeout_ms)
{
	int rc;

	if (!n->pending)
		return -EINVAL;
	rc = PR_CALL(&n->v->w, "nvme: I/O completion", n->lba_start, 0,
		     reap(n, 1, timeout_ms));
	if (rc != -ETIMEDOUT)
		n->pending = 0;
	return rc;
}

int pr_nvme_rw(struct pr_nvme *n, uint64_t iova, uint32_t len, int to_disk,
	       int timeout_ms)
{
	int rc = pr_nvme_submit(n, iova, len, to_disk);

	return rc ? rc : pr_nvme_wait(n, timeout_ms);
}

const char *pr_nvme_status_name(uint16_t status, char *buf, size_t len)
{
	static const struct {
		uint16_t code; /* SCT << 8 | SC */
		const char *name;
	} names[] = {
		{0x001, "Invalid Command Opcode"},
		{0x002, "Invalid Field in Command"},
		{0x004, "Data Transfer Error"},
		{0x006, "Internal Error"},
		{0x00b, "Invalid Namespace or Format"},
		{0x013, "PRP Offset Invalid"},
		{0x080, "LBA Out of Range"},
		{0x281, "Unrecovered Read Error"},
		{0x286, "Access Denied"},
	};
	const char *name = "status";

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].code == (status & 0x7ff))
			name = names[i].name;
	snprintf(buf, len, "%s (SCT %u, SC 0x%02x)", name, (status >> 8) & 7,
		 status & 0xff);
	return buf;
}
