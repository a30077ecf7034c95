// SPDX-License-Identifier: GPL-2.0
/* Filling a filesystem, and which blocks a file has. */
#include <errno.h>
#include <fcntl.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "fsfill.h"

/* Allocate everything @fd can get from @off on; the new end. */
static long long fill_from(int fd, long long off, long long chunk)
{
	chunk &= ~4095LL;
	while (chunk >= 4096) {
		if (!fallocate(fd, 0, off, chunk)) {
			off += chunk;
			continue;
		}
		if (errno != ENOSPC)
			return -errno;
		chunk = chunk / 2 & ~4095LL;
	}
	return off;
}

long long pr_fs_fill(const char *dir, size_t slack, int *fd, char *path,
		     size_t plen)
{
	char spath[600];
	struct statvfs sv;
	long long got;
	int sfd;

	snprintf(spath, sizeof(spath), "%s/pinrace-%d-slack", dir, getpid());
	snprintf(path, plen, "%s/pinrace-%d-fill", dir, getpid());
	sfd = open(spath, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (sfd < 0)
		return -errno;
	*fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	got = *fd < 0 ? -errno : 0;
	if (!got && slack && fallocate(sfd, 0, 0, slack))
		got = -errno;
	if (!got && fstatvfs(*fd, &sv))
		got = -errno;
	/* what statfs promises, then halves of it until nothing fits */
	if (!got)
		got = fill_from(*fd, 0, (long long)sv.f_bavail * sv.f_frsize);
	close(sfd);
	unlink(spath);
	return got;
}

int pr_fiemap_blocks(int fd, size_t bs, uint64_t *phys, size_t n)
{
	enum { NEXT = 64 };
	struct fiemap *fm =
		calloc(1, sizeof(*fm) + NEXT * sizeof(fm->fm_extents[0]));
	uint64_t start = 0, end = (uint64_t)n * bs;
	int last = 0;

	if (!fm)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		phys[i] = PR_NO_BLOCK;
	while (!last && start < end) {
		memset(fm, 0, sizeof(*fm));
		fm->fm_start = start;
		fm->fm_length = end - start;
		fm->fm_flags = FIEMAP_FLAG_SYNC;
		fm->fm_extent_count = NEXT;
		if (ioctl(fd, FS_IOC_FIEMAP, fm)) {
			int err = -errno;

			free(fm);
			return err;
		}
		if (!fm->fm_mapped_extents)
			break;
		for (unsigned int e = 0; e < fm->fm_mapped_extents; e++) {
			struct fiemap_extent *x = &fm->fm_extents[e];

			for (uint64_t o = x->fe_logical;
			     o < x->fe_logical + x->fe_length && o < end;
			     o += bs)
				phys[o / bs] =
					x->fe_physical + (o - x->fe_logical);
			start = x->fe_logical + x->fe_length;
			last |= !!(x->fe_flags & FIEMAP_EXTENT_LAST);
		}
	}
	free(fm);
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int has(const uint64_t *sorted, size_t n, uint64_t v)
{
	return v != PR_NO_BLOCK &&
	       bsearch(&v, sorted, n, sizeof(v), cmp_u64) != NULL;
}

size_t pr_blocks_reused(const uint64_t *before, const uint64_t *after, size_t n,
			const uint64_t *got, size_t ngot, size_t *nfreed)
{
	uint64_t *a = malloc(n * sizeof(*a)), *freed = malloc(n * sizeof(*a));
	size_t nf = 0, reused = 0;

	*nfreed = 0;
	if (!a || !freed) {
		free(a);
		free(freed);
		return 0;
	}
	memcpy(a, after, n * sizeof(*a));
	qsort(a, n, sizeof(*a), cmp_u64);
	for (size_t i = 0; i < n; i++)
		if (before[i] != PR_NO_BLOCK && !has(a, n, before[i]))
			freed[nf++] = before[i];
	qsort(freed, nf, sizeof(*freed), cmp_u64);
	for (size_t i = 0; i < ngot; i++)
		reused += has(freed, nf, got[i]);
	*nfreed = nf;
	free(a);
	free(freed);
	return reused;
}
