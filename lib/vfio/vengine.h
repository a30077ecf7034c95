/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The DMA engine of the device the VFIO cases drive, whichever it is:
 * QEMU's edu (its identification register; copies through its 4 KiB
 * buffer) or an NVMe controller (PCI class 0x010802; copies by writing
 * the source IOVA's bytes to the LBA range the configuration allows,
 * $PINRACE_VFIO_NVME_LBA = START+COUNT, then reading them into the
 * destination IOVA).  Either way a copy is a device read of the source
 * and a device write of the destination.  Without the LBA range an NVMe
 * device is not touched: the cases skip naming the key.
 */
#ifndef PR_VENGINE_H
#define PR_VENGINE_H

#include "edu.h"
#include "nvme.h"
#include "vfio.h"

#define PR_VENGINE_LBA_ENV "PINRACE_VFIO_NVME_LBA"

enum pr_vengine_kind { PR_VENGINE_EDU = 1, PR_VENGINE_NVME };

struct pr_vengine {
	enum pr_vengine_kind kind;
	const char *name;
	struct pr_vfio *v;
	struct pr_nvme nvme;
	uint32_t max_xfer;   /* bytes one device transfer moves at most */
	uint64_t start_xfer; /* of a started write: its bytes */
};

/*
 * Which engine drives @v, without touching the device beyond its config
 * space and ID register: 0 with *@kind set; -ENODEV (an unknown device, or
 * an NVMe device with no LBA range allowed: a skip) or -EINVAL (a range
 * that is not START+COUNT) with the reason in @why.
 */
int pr_vengine_pick(struct pr_vfio *v, enum pr_vengine_kind *kind, char *why,
		    size_t len);
/* Pick and bring up the engine; the return values of pr_vengine_pick(). */
int pr_vengine_open(struct pr_vengine *e, struct pr_vfio *v, char *why,
		    size_t len);
void pr_vengine_close(struct pr_vengine *e);
/*
 * Copy @len bytes from IOVA @src to IOVA @dst (NVMe moves whole LBAs: up
 * to an LBA less one byte more); *@xfers counts the device transfers.
 * 0, -ETIMEDOUT, or -PR_NVME_STATUS when the device reported an error.
 */
int pr_vengine_copy(struct pr_vengine *e, uint64_t src, uint64_t dst,
		    uint64_t len, int timeout_ms, uint64_t *xfers);
/*
 * The halves of a copy of at most max_xfer bytes whose device write
 * can be in flight: the source staged on the device and the write to
 * @dst started; is it still in flight; wait for it.
 */
int pr_vengine_start(struct pr_vengine *e, uint64_t src, uint64_t dst,
		     uint32_t len, int timeout_ms);
int pr_vengine_busy(struct pr_vengine *e);
int pr_vengine_wait(struct pr_vengine *e, uint64_t dst, int timeout_ms);
/* What @rc of a copy means, with the device's status when it has one. */
const char *pr_vengine_strerror(struct pr_vengine *e, int rc, char *buf,
				size_t len);

#endif
