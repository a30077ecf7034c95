/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Anonymous private buffers: one vma of exactly the requested length at
 * the requested alignment, optionally asking for transparent huge pages.
 */
#ifndef PR_ANON_H
#define PR_ANON_H

#include <stddef.h>

struct pr_anon {
	void *addr;
	size_t len;
};

/*
 * Map @len bytes (a multiple of the page size) aligned to @align (a power
 * of two, at least the page size), MAP_PRIVATE | MAP_ANONYMOUS, with
 * MADV_HUGEPAGE when @thp.  Nothing is touched.  0 or -errno.
 */
int pr_anon_map(struct pr_anon *a, size_t len, size_t align, int thp);
void pr_anon_unmap(struct pr_anon *a);
/* kB of the buffer backed by huge pages (smaps AnonHugePages), or -errno. */
long pr_anon_huge_kb(const struct pr_anon *a);

#endif
