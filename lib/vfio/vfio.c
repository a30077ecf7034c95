// SPDX-License-Identifier: GPL-2.0
/* VFIO type1: container, group, device, DMA mappings, BAR0. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <linux/vfio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "vfio.h"

#define PCI_COMMAND 0x04
#define PCI_COMMAND_MEMORY 0x2
#define PCI_COMMAND_MASTER 0x4

static int fail(char *err, size_t len, const char *what, const char *bdf)
{
	int e = errno;

	snprintf(err, len, "%s (%s): %s", what, bdf, strerror(e));
	return -e;
}

/* /dev/vfio/N for the device's IOMMU group. */
static int group_path(const char *bdf, char *path, size_t len)
{
	char link[256], target[256];
	ssize_t n;

	snprintf(link, sizeof(link), "/sys/bus/pci/devices/%s/iommu_group",
		 bdf);
	n = readlink(link, target, sizeof(target) - 1);
	if (n < 0)
		return -errno;
	target[n] = '\0';
	snprintf(path, len, "/dev/vfio/%s", basename(target));
	return 0;
}

static int region(struct pr_vfio *v, unsigned int index,
		  struct vfio_region_info *ri)
{
	*ri = (struct vfio_region_info){.argsz = sizeof(*ri), .index = index};
	return ioctl(v->device, VFIO_DEVICE_GET_REGION_INFO, ri) ? -errno : 0;
}

int pr_vfio_config(struct pr_vfio *v, unsigned int off, void *buf, size_t len,
		   int write)
{
	struct vfio_region_info cfg;
	ssize_t n;

	if (region(v, VFIO_PCI_CONFIG_REGION_INDEX, &cfg))
		return -errno;
	n = write ? pwrite(v->device, buf, len, cfg.offset + off)
		  : pread(v->device, buf, len, cfg.offset + off);
	return n == (ssize_t)len ? 0 : n < 0 ? -errno : -EIO;
}

static int bus_master(struct pr_vfio *v)
{
	uint16_t cmd;
	int rc = pr_vfio_config(v, PCI_COMMAND, &cmd, 2, 0);

	if (rc)
		return rc;
	cmd |= PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
	return pr_vfio_config(v, PCI_COMMAND, &cmd, 2, 1);
}

long long pr_vfio_ms_since(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - t0->tv_sec) * 1000LL +
	       (now.tv_nsec - t0->tv_nsec) / 1000000;
}

int pr_vfio_open(struct pr_vfio *v, const char *bdf, char *err, size_t len)
{
	struct vfio_group_status st = {.argsz = sizeof(st)};
	struct vfio_region_info bar;
	char path[300];
	int rc;

	*v = (struct pr_vfio){.container = -1, .group = -1, .device = -1};
	v->w.name = "vfio";
	v->w.tid = syscall(SYS_gettid);
	snprintf(v->bdf, sizeof(v->bdf), "%s", bdf);
	rc = group_path(bdf, path, sizeof(path));
	if (rc) {
		errno = -rc;
		return fail(err, len, "no IOMMU group (is the IOMMU on?)", bdf);
	}
	v->container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (v->container < 0)
		return fail(err, len, "open /dev/vfio/vfio", bdf);
	if (ioctl(v->container, VFIO_GET_API_VERSION) != VFIO_API_VERSION)
		return fail(err, len, "VFIO API version", bdf);
	if (ioctl(v->container, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) <=
	    0) {
		errno = EOPNOTSUPP;
		return fail(err, len, "no type1v2 IOMMU", bdf);
	}
	v->group = open(path, O_RDWR | O_CLOEXEC);
	if (v->group < 0)
		return fail(err, len, path, bdf);
	if (ioctl(v->group, VFIO_GROUP_GET_STATUS, &st))
		return fail(err, len, "VFIO_GROUP_GET_STATUS", bdf);
	if (!(st.flags & VFIO_GROUP_FLAGS_VIABLE)) {
		errno = EBUSY;
		return fail(
			err, len,
			"group not viable (a device in it is not bound to vfio-pci)",
			bdf);
	}
	if (ioctl(v->group, VFIO_GROUP_SET_CONTAINER, &v->container))
		return fail(err, len, "VFIO_GROUP_SET_CONTAINER", bdf);
	if (ioctl(v->container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU))
		return fail(err, len,
			    "VFIO_SET_IOMMU (no interrupt remapping?)", bdf);
	v->device = ioctl(v->group, VFIO_GROUP_GET_DEVICE_FD, bdf);
	if (v->device < 0)
		return fail(err, len, "VFIO_GROUP_GET_DEVICE_FD", bdf);
	if (region(v, VFIO_PCI_BAR0_REGION_INDEX, &bar) || !bar.size)
		return fail(err, len, "BAR0 region", bdf);
	v->bar0 = mmap(NULL, bar.size, PROT_READ | PROT_WRITE, MAP_SHARED,
		       v->device, bar.offset);
	if (v->bar0 == MAP_FAILED) {
		v->bar0 = NULL;
		return fail(err, len, "mmap of BAR0", bdf);
	}
	v->bar0_len = bar.size;
	rc = bus_master(v);
	if (rc) {
		errno = -rc;
		return fail(err, len, "enabling bus mastering", bdf);
	}
	return 0;
}

void pr_vfio_close(struct pr_vfio *v)
{
	if (v->bar0)
		munmap((void *)v->bar0, v->bar0_len);
	if (v->device >= 0)
		close(v->device);
	if (v->group >= 0)
		close(v->group);
	if (v->container >= 0)
		close(v->container);
	v->bar0 = NULL;
	v->device = v->group = v->container = -1;
}

int pr_vfio_map(struct pr_vfio *v, void *va, uint64_t iova, size_t len,
		int writable)
{
	struct vfio_iommu_type1_dma_map m = {
		.argsz = sizeof(m),
		.flags = VFIO_DMA_MAP_FLAG_READ |
			 (writable ? VFIO_DMA_MAP_FLAG_WRITE : 0),
		.vaddr = (uintptr_t)va,
		.iova = iova,
		.size = len,
	};

	return PR_CALL(&v->w, "VFIO_IOMMU_MAP_DMA", iova, len,
		       ioctl(v->container, VFIO_IOMMU_MAP_DMA, &m))
		       ? -errno
		       : 0;
}

int pr_vfio_unmap(struct pr_vfio *v, uint64_t iova, size_t len, uint64_t *done)
{
	struct vfio_iommu_type1_dma_unmap u = {
		.argsz = sizeof(u), .iova = iova, .size = len};
	int rc = PR_CALL(&v->w, "VFIO_IOMMU_UNMAP_DMA", iova, len,
			 ioctl(v->container, VFIO_IOMMU_UNMAP_DMA, &u));

	if (done)
		*done = rc ? 0 : u.size;
	return rc ? -errno : 0;
}

long pr_vfio_class(struct pr_vfio *v)
{
	uint8_t cc[3]; /* programming interface, subclass, class */
	int rc = pr_vfio_config(v, 0x09, cc, 3, 0);

	return rc ? rc : (long)cc[2] << 16 | cc[1] << 8 | cc[0];
}
