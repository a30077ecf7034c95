// SPDX-License-Identifier: GPL-2.0
/* Aligned anonymous buffers, trimmed to one vma. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "anon.h"
#include "smaps.h"

int pr_anon_map(struct pr_anon *a, size_t len, size_t align, int thp)
{
	size_t span = len + align;
	uintptr_t base, start;
	void *p;

	a->addr = NULL;
	a->len = 0;
	p = mmap(NULL, span, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -errno;
	base = (uintptr_t)p;
	start = (base + align - 1) & ~(uintptr_t)(align - 1);
	/* keep [start, start + len): unmap the slack on both sides */
	if (start > base)
		munmap(p, start - base);
	if (base + span > start + len)
		munmap((void *)(start + len), base + span - start - len);
	a->addr = (void *)start;
	a->len = len;
	if (thp && madvise(a->addr, len, MADV_HUGEPAGE)) {
		int err = -errno;

		pr_anon_unmap(a);
		return err;
	}
	return 0;
}

void pr_anon_unmap(struct pr_anon *a)
{
	if (a->addr)
		munmap(a->addr, a->len);
	a->addr = NULL;
	a->len = 0;
}

long pr_anon_huge_kb(const struct pr_anon *a)
{
	char val[64];
	int rc = pr_smaps_field(a->addr, "AnonHugePages", val, sizeof(val));

	return rc ? rc : strtol(val, NULL, 10);
}
