/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Making freed blocks come back: with DAX the page a pin holds is the disk
 * block, and the exposure it risks needs another file to get that block.
 * Allocators prefer fresh space, so the filesystem is first filled to
 * ENOSPC (fallocate: no data written); then whatever a layout change frees
 * is all there is, and FIEMAP shows which of those blocks the next file
 * got.
 */
#ifndef PR_FSFILL_H
#define PR_FSFILL_H

#include <stddef.h>
#include <stdint.h>

#define PR_NO_BLOCK UINT64_MAX

/*
 * Fill the free space of @dir's filesystem but @slack bytes with one file
 * named "pinrace-<pid>-fill" (swept with the case's files).  The slack is
 * set aside in a file first and freed at the end (punching the filler of
 * a full XFS would itself need space).  Returns the bytes allocated, or
 * -errno; *@fd is the open file (close and unlink @path to give the space
 * back).
 */
long long pr_fs_fill(const char *dir, size_t slack, int *fd, char *path,
		     size_t plen);
/*
 * The physical byte address of each of the first @n blocks of @bs bytes
 * of @fd, PR_NO_BLOCK for a hole.  0 or -errno.
 */
int pr_fiemap_blocks(int fd, size_t bs, uint64_t *phys, size_t n);
/*
 * How many blocks of @got (@ngot entries) are among the blocks of
 * @before that @after no longer has (@n entries each): blocks a file freed
 * that another one now holds.  *@nfreed: how many were freed.
 */
size_t pr_blocks_reused(const uint64_t *before, const uint64_t *after, size_t n,
			const uint64_t *got, size_t ngot, size_t *nfreed);

#endif
