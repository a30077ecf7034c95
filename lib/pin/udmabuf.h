/* SPDX-License-Identifier: GPL-2.0 */
/*
 * udmabuf as a pin source: a memfd sealed with F_SEAL_SHRINK, a dma-buf
 * made of its pages by UDMABUF_CREATE (memfd_pin_folios() from 6.11,
 * page references before), and the dma-buf's own mmap as the device's
 * view of them.  The memfd stays open, so the file's side can still be
 * written, punched and zeroed while the dma-buf holds what it took.
 */
#ifndef PR_UDMABUF_H
#define PR_UDMABUF_H

#include <stddef.h>

#define PR_UDMABUF_DEV "/dev/udmabuf"

struct pr_udmabuf {
	int memfd; /* the file: sealed against shrinking */
	int fd;	   /* the dma-buf */
	void *map; /* the dma-buf's mmap: the device's view */
	size_t len;
};

/*
 * A memfd of @len bytes holding @init (may be NULL: zeros) and a udmabuf
 * over all of it, mapped.  0; 1 when the kernel lacks it (@why names what:
 * no /dev/udmabuf, or UDMABUF_CREATE refused), or -errno with @why saying
 * which step failed.
 */
int pr_udmabuf_open(struct pr_udmabuf *u, size_t len, const void *init,
		    char *why, size_t wlen);
void pr_udmabuf_close(struct pr_udmabuf *u);
/* Bracket CPU access to the view (DMA_BUF_IOCTL_SYNC): @start 1 begins,
 * 0 ends; @write for stores.  0 or -errno. */
int pr_udmabuf_sync(struct pr_udmabuf *u, int start, int write);

#endif
