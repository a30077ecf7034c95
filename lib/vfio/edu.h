/* SPDX-License-Identifier: GPL-2.0 */
/*
 * QEMU's edu device (PCI 1234:11e8, QEMU docs/specs/edu.rst): a DMA engine
 * that copies between bus addresses (IOVAs behind an IOMMU) and a 4 KiB
 * buffer on the device.  Registers in BAR0: 0x80 source, 0x88
 * destination, 0x90 count, 0x98 command (bit 0 start, cleared when done;
 * bit 1 direction: 0 RAM to device, 1 device to RAM).  The device's
 * buffer is at bus address 0x40000.  QEMU completes a transfer from a
 * 100 ms timer, checks that a transfer of exactly 4096 bytes is out of
 * bounds (QEMU 7.2 then aborts the VM) and masks addresses to 28 bits.
 */
#ifndef PR_EDU_H
#define PR_EDU_H

#include <stdint.h>

#include "vfio.h"

#define PR_EDU_BUF 0x40000u
#define PR_EDU_BUF_LEN 4096u
#define PR_EDU_MAX_XFER 4064u	       /* per transfer: below 4096 */
#define PR_EDU_IOVA_LIMIT (256u << 20) /* the default 28-bit DMA mask */

/* 0 if @v's BAR0 is an edu (its identification register), else -ENODEV. */
int pr_edu_check(struct pr_vfio *v);
/*
 * One transfer of @len (< 4096) bytes between @iova and the device buffer
 * at @off; @to_ram: device to RAM.  Waits by polling the command register
 * for at most @timeout_ms.  0, or -ETIMEDOUT.
 */
int pr_edu_dma(struct pr_vfio *v, uint64_t iova, uint32_t off, uint32_t len,
	       int to_ram, int timeout_ms);
/*
 * The two halves of pr_edu_dma(): start a transfer (after waiting for an
 * earlier one), and wait for it.  pr_edu_busy(): a transfer is in flight
 * (QEMU has not run it yet).
 */
int pr_edu_start(struct pr_vfio *v, uint64_t iova, uint32_t off, uint32_t len,
		 int to_ram, int timeout_ms);
int pr_edu_busy(struct pr_vfio *v);
int pr_edu_wait(struct pr_vfio *v, uint64_t iova, uint32_t len, int to_ram,
		int timeout_ms);
/*
 * Copy @len bytes from @src to @dst (IOVAs) through the device buffer,
 * in transfers of PR_EDU_MAX_XFER.  0 or -ETIMEDOUT.
 */
int pr_edu_copy(struct pr_vfio *v, uint64_t src, uint64_t dst, uint64_t len,
		int timeout_ms);

#endif
