/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The vocabulary of results: what a case ended as (status) and what it saw
 * (finding).  One place maps these to names, TAP and exit codes.
 */
#ifndef PR_OUTCOME_H
#define PR_OUTCOME_H

enum pr_status {
	PR_PASS,
	PR_FAIL,
	PR_XFAIL,
	PR_XPASS,
	PR_SKIP,
	PR_ERROR, /* broken setup or a case that could not finish */
	PR_NSTATUS
};

/* Ordered by severity: the most severe one seen is a case's finding. */
enum pr_finding {
	PR_F_NONE,
	PR_F_REFUSED, /* the kernel refused a call: protection, not corruption
		       */
	PR_F_KERNEL_WARNING,
	/* The IOMMU faulted a device access the case did not aim at an
	 * unmapped IOVA (lib/vfio): the device was denied mapped memory, or
	 * the self-test's injected DMA to a never-mapped IOVA was caught. */
	PR_F_IOMMU_FAULT,
	/* A registration the kernel should refuse took hold: a dma-buf
	 * mapping (no struct-page memory to pin) became an MR. */
	PR_F_DMABUF_PINNED,
	/* Pins taken and never released: nr_foll_pin_acquired outgrows
	 * nr_foll_pin_released across balanced register/deregister work. */
	PR_F_PIN_LEAK,
	/* The kernel's bookkeeping of pinned memory went wrong: more was
	 * registered than RLIMIT_MEMLOCK allows, the limit answered with the
	 * wrong errno, or the same memory was refused now and then. */
	PR_F_ACCOUNTING,
	/* A registration the kernel must refuse took hold: memory partly
	 * unmapped, PROT_NONE, past the end of its file, or zero bytes. */
	PR_F_ACCEPTED_INVALID,
	/* The device was denied memory its MR covers while the layout stood
	 * still (a remote access error with no change in flight). */
	PR_F_ACCESS_ERROR,
	PR_F_ZERO, /* a hole where data was written after the layout change */
	PR_F_STALE_READ,
	PR_F_MISPLACED,
	PR_F_TORN,
	PR_F_LOST_WRITE,
	PR_F_HANG,
	PR_F_CROSS_FILE,
	/* The suite itself misbehaved: a self-test or an injection case
	 * did not end as it must (its detector or the harness is broken). */
	PR_F_SELFTEST,
	PR_NFINDING
};

const char *pr_status_name(enum pr_status s);
const char *pr_finding_name(enum pr_finding f);
int pr_finding_from_name(const char *name);
int pr_status_from_name(const char *name);

#endif
