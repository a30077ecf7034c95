// SPDX-License-Identifier: GPL-2.0
/* udmabuf over a sealed memfd: see udmabuf.h. */
#include <errno.h>
#include <fcntl.h>
#include <linux/dma-buf.h>
#include <linux/udmabuf.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "udmabuf.h"

static int step(char *why, size_t wlen, const char *what)
{
	int e = errno;

	snprintf(why, wlen, "%s: %s", what, strerror(e));
	return -e;
}

static int make_memfd(struct pr_udmabuf *u, const void *init, char *why,
		      size_t wlen)
{
	u->memfd = memfd_create("pinrace-udmabuf",
				MFD_ALLOW_SEALING | MFD_CLOEXEC);
	if (u->memfd < 0)
		return step(why, wlen, "memfd_create");
	if (ftruncate(u->memfd, u->len))
		return step(why, wlen, "ftruncate of the memfd");
	if (init && pwrite(u->memfd, init, u->len, 0) != (ssize_t)u->len)
		return step(why, wlen, "writing the memfd");
	if (fcntl(u->memfd, F_ADD_SEALS, F_SEAL_SHRINK))
		return step(why, wlen, "F_SEAL_SHRINK on the memfd");
	return 0;
}

int pr_udmabuf_open(struct pr_udmabuf *u, size_t len, const void *init,
		    char *why, size_t wlen)
{
	struct udmabuf_create c = {
		.flags = UDMABUF_FLAGS_CLOEXEC, .offset = 0, .size = len};
	int dev, rc;

	*u = (struct pr_udmabuf){.memfd = -1, .fd = -1, .len = len};
	dev = open(PR_UDMABUF_DEV, O_RDWR | O_CLOEXEC);
	if (dev < 0 && (errno == ENOENT || errno == ENODEV || errno == ENXIO)) {
		snprintf(
			why, wlen,
			"no %s: the kernel has no udmabuf (CONFIG_UDMABUF, module udmabuf)",
			PR_UDMABUF_DEV);
		return 1;
	}
	if (dev < 0)
		return step(why, wlen, "open " PR_UDMABUF_DEV);
	rc = make_memfd(u, init, why, wlen);
	if (!rc) {
		c.memfd = u->memfd;
		u->fd = ioctl(dev, UDMABUF_CREATE, &c);
		if (u->fd < 0 && (errno == ENOTTY || errno == EOPNOTSUPP)) {
			snprintf(
				why, wlen,
				"UDMABUF_CREATE on a sealed memfd refused (%s): this udmabuf cannot pin memfd pages",
				strerrorname_np(errno));
			rc = 1;
		} else if (u->fd < 0) {
			rc = step(why, wlen, "UDMABUF_CREATE");
		}
	}
	close(dev);
	if (rc)
		return rc;
	u->map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, u->fd, 0);
	if (u->map == MAP_FAILED) {
		u->map = NULL;
		return step(why, wlen, "mmap of the dma-buf");
	}
	return 0;
}

int pr_udmabuf_sync(struct pr_udmabuf *u, int start, int write)
{
	struct dma_buf_sync s = {
		.flags = (start ? DMA_BUF_SYNC_START : DMA_BUF_SYNC_END) |
			 (write ? DMA_BUF_SYNC_WRITE : DMA_BUF_SYNC_READ)};

	return ioctl(u->fd, DMA_BUF_IOCTL_SYNC, &s) ? -errno : 0;
}

void pr_udmabuf_close(struct pr_udmabuf *u)
{
	if (u->map)
		munmap(u->map, u->len);
	if (u->fd >= 0)
		close(u->fd);
	if (u->memfd >= 0)
		close(u->memfd);
	*u = (struct pr_udmabuf){.memfd = -1, .fd = -1};
}
