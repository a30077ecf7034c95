/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small polled NVMe driver in user space over a VFIO device (struct
 * pr_vfio, BAR0 mapped): the controller reset and enabled, one admin and
 * one I/O queue pair (no interrupts: completions polled by their phase
 * bit), Identify of the controller and of namespace 1, and Read/Write of
 * whole LBAs whose data pointers (PRP1, PRP2, a PRP list) are IOVAs the
 * caller mapped.  The queues, the Identify buffer and the PRP list live
 * in an anonymous buffer mapped at PR_NVME_IOVA.  Every wait is published
 * in v->w for the watchdog.  Only LBAs in [lba_start, +lba_count), the
 * range the configuration allowed, are ever written.
 */
#ifndef PR_NVME_H
#define PR_NVME_H

#include <stdint.h>

#include "vfio.h"

#define PR_NVME_CLASS 0x010802u	      /* PCI class: mass storage, NVM, NVMe */
#define PR_NVME_IOVA 0xc000000ull     /* the driver's own memory (192 MiB) */
#define PR_NVME_STATUS (EIO + 0x1000) /* -PR_NVME_STATUS: an error status */

struct pr_nvme {
	struct pr_vfio *v;
	uint8_t *mem;	     /* queues, Identify buffer, PRP list */
	unsigned int dstrd;  /* doorbell stride in bytes */
	uint16_t sq_tail[2]; /* admin (0) and I/O (1) queues */
	uint16_t cq_head[2];
	uint8_t phase[2];
	uint16_t cid;
	int pending;	   /* an I/O command submitted, not yet reaped */
	uint16_t status;   /* the last completion's status field (SCT, SC) */
	uint32_t lba_size; /* bytes */
	uint64_t nsze;	   /* LBAs in namespace 1 */
	uint32_t max_xfer; /* bytes one command moves at most */
	uint64_t lba_start, lba_count;
	char model[41];
};

/*
 * Parse "START+COUNT" (the LBAs the suite may overwrite) into @start and
 * @count. 0, or -EINVAL.
 */
int pr_nvme_parse_lba(const char *s, uint64_t *start, uint64_t *count);
/*
 * Reset and enable the controller behind @v, Identify it and namespace 1,
 * create the I/O queue pair, and check that [@start, +@count) lies in the
 * namespace.  0, or -errno with the failing step in @err.
 */
int pr_nvme_open(struct pr_nvme *n, struct pr_vfio *v, uint64_t start,
		 uint64_t count, char *err, size_t len);
/* Disable the controller (its queues go) and unmap the driver's memory. */
void pr_nvme_close(struct pr_nvme *n);
/*
 * Submit a Write (@to_disk) or Read of @len bytes (whole LBAs, at most
 * max_xfer) between @iova and the allowed range's first LBAs; do not wait.
 */
int pr_nvme_submit(struct pr_nvme *n, uint64_t iova, uint32_t len, int to_disk);
/* The submitted command has not completed yet. */
int pr_nvme_busy(struct pr_nvme *n);
/*
 * Wait for the submitted command: 0, -ETIMEDOUT, or -PR_NVME_STATUS when
 * it completed with an error status (n->status; pr_nvme_status_name()).
 */
int pr_nvme_wait(struct pr_nvme *n, int timeout_ms);
/* Submit and wait. */
int pr_nvme_rw(struct pr_nvme *n, uint64_t iova, uint32_t len, int to_disk,
	       int timeout_ms);
/* "Data Transfer Error (SCT 0, SC 0x04)" for @status. */
const char *pr_nvme_status_name(uint16_t status, char *buf, size_t len);

#endif
