/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Pin sources other than RDMA, as entries of the MR-mode axis
 * (lib/rdma/mrmode.h, .ops set): each an ops table in the style of fio's
 * engines, one small file each.
 *
 *   cpu       the control: no pin, the process's own mapping read and
 *             written with plain loads and stores (lib/pin/cpu.c)
 *   io_uring  IORING_REGISTER_BUFFERS over the mapping; the device reads
 *             the pinned pages with WRITE_FIXED into its file and writes
 *             them with READ_FIXED from it (lib/pin/uring.c)
 *   vmsplice  the pages spliced into a pipe, read back from the pipe: a
 *             read-only device (lib/pin/vmsplice.c)
 *   odirect   short-term pins: O_DIRECT writes from the mapping into the
 *             device's file, O_DIRECT reads from it into the mapping
 *             (lib/pin/odirect.c)
 *
 * A transfer returns what pr_rdma_xfer() returns (0, -errno when it could
 * not be issued, -ETIMEDOUT, or a positive ibv_wc_status when it ended in
 * error: IBV_WC_REM_ACCESS_ERR when the memory was denied), so one decoder
 * (lib/rdma/xferverdict.h) judges every source.
 */
#ifndef PR_PIN_H
#define PR_PIN_H

#include <stddef.h>

struct pr_mr_mode;
struct pr_pin_ops;

struct pr_pin {
	const struct pr_pin_ops *ops;
	void *addr; /* the pinned range: the case's mapping */
	size_t len;
	void *buf;  /* the device's side, as RDMA's bounce buffer: a transfer
		     * of [off, +len) reads into or writes from its start */
	void *priv; /* the source's state */
	int attached;
};

/* attach()'s answer when the suite, not the kernel, failed. */
#define PR_PIN_BROKEN 1

struct pr_pin_ops {
	const char *call; /* the pinning call, for refusals */
	/*
	 * Pin [addr, +len).  0; -errno when the kernel refused (a
	 * protection); PR_PIN_BROKEN with @err saying why the setup failed.
	 */
	int (*attach)(struct pr_pin *p, char *err, size_t errlen);
	/* @write 0: [off, +len) -> buf; 1: buf -> [off, +len). */
	int (*xfer)(struct pr_pin *p, int write, size_t off, size_t len,
		    int timeout_ms, char *err, size_t errlen);
	void (*detach)(struct pr_pin *p);
};

/* Attach @mode's source over @addr (@len bytes, device buffer @buf). */
int pr_pin_attach(struct pr_pin *p, const struct pr_mr_mode *mode, void *addr,
		  size_t len, void *buf, char *err, size_t errlen);
int pr_pin_xfer(struct pr_pin *p, int write, size_t off, size_t len,
		int timeout_ms, char *err, size_t errlen);
void pr_pin_detach(struct pr_pin *p);
/* The ibv_wc_status a failed transfer ends with: EFAULT (the memory
 * denied) is IBV_WC_REM_ACCESS_ERR, a short one IBV_WC_LOC_LEN_ERR. */
int pr_pin_status(int err);
/* Transfer length checks shared by the sources: -EINVAL past the range. */
int pr_pin_range(const struct pr_pin *p, size_t off, size_t len, char *err,
		 size_t errlen);

/* The control's attach and transfer (lib/pin/cpu.c), for the self-test. */
int pr_pin_cpu_attach(struct pr_pin *p, char *err, size_t errlen);
int pr_pin_cpu_xfer(struct pr_pin *p, int write, size_t off, size_t len,
		    int timeout_ms, char *err, size_t errlen);
/* Self-test of the pin accounting: the control, plus an io_uring buffer
 * it registers and never gives back: the case must end as pin-leak. */
extern const struct pr_mr_mode pr_mr_selftest_leak;
extern const struct pr_mr_mode pr_mr_cpu, pr_mr_uring_fixed, pr_mr_vmsplice,
	pr_mr_odirect;
/* The RDMA modes, then cpu, io_uring, vmsplice, odirect; NULL-ended. */
extern const struct pr_mr_mode *const pr_mr_sources_all[];
/* The page-cache matrix's: the RDMA modes, cpu, io_uring. */
extern const struct pr_mr_mode *const pr_mr_sources_matrix[];

/* Probes for lib/harness/needs.c: 0, or -1 with @why naming what lacks. */
int pr_uring_probe(char *why, size_t len);
int pr_odirect_probe(char *why, size_t len);
int pr_secretmem_probe(char *why, size_t len);

#endif
