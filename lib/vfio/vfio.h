/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A device bound to vfio-pci, seen from user space: its group in a type1
 * IOMMU container, IOVA mappings of user memory (VFIO_IOMMU_MAP_DMA pins
 * the pages long-term, read-only or writable for the device), and BAR0
 * mapped for its registers.  Every call that can block in the kernel is
 * published in @w for a watchdog (lib/harness/watchdog.h).
 */
#ifndef PR_VFIO_H
#define PR_VFIO_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "racecore.h"

struct pr_vfio {
	int container, group, device;
	char bdf[32];
	volatile uint8_t *bar0;
	size_t bar0_len;
	struct pr_worker w;
};

/*
 * Open the device @bdf ("0000:00:03.0"), which must be bound to vfio-pci:
 * its group in a new type1 container, BAR0 mapped, bus mastering on.
 * 0, or -errno with the failing step in @err.
 */
int pr_vfio_open(struct pr_vfio *v, const char *bdf, char *err, size_t len);
void pr_vfio_close(struct pr_vfio *v);

/* Map @len bytes at @va to @iova; the device may write them if @writable. */
int pr_vfio_map(struct pr_vfio *v, void *va, uint64_t iova, size_t len,
		int writable);
/* Unmap [@iova, @iova + @len); *@done gets the bytes unmapped. 0/-errno. */
int pr_vfio_unmap(struct pr_vfio *v, uint64_t iova, size_t len, uint64_t *done);

/* Read (or @write) @len bytes of the PCI config space at @off. 0/-errno. */
int pr_vfio_config(struct pr_vfio *v, unsigned int off, void *buf, size_t len,
		   int write);
/* The PCI class code (0x010802: NVMe), or -errno. */
long pr_vfio_class(struct pr_vfio *v);
/* Milliseconds on CLOCK_MONOTONIC since @t0, for the engines' polls. */
long long pr_vfio_ms_since(const struct timespec *t0);

#endif
