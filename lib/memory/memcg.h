/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Memory pressure on demand: move the calling process into a cgroup v2
 * group of its own (mounting cgroup2 and enabling the memory controller
 * if need be), so the page cache it touches is charged there, then ask
 * the kernel to reclaim from that group (memory.reclaim).  Everything is
 * put back by pr_memcg_leave().
 */
#ifndef PR_MEMCG_H
#define PR_MEMCG_H

#include <stddef.h>

struct pr_memcg {
	char root[256];	 /* the cgroup2 mount */
	char group[320]; /* our group under it; "" if not created */
	char home[320];	 /* the group we came from, relative to root */
	int mounted;	 /* we mounted root */
	int enabled;	 /* we enabled +memory in root's subtree_control */
};

/*
 * Enter a new group.  0; -ENOENT (no cgroup2 or no memory controller,
 * with the missing piece in @err); -errno with a message in @err.
 */
int pr_memcg_enter(struct pr_memcg *m, char *err, size_t len);
/*
 * Reclaim up to @bytes from the group.  *@before and *@after get
 * memory.current around it.  0 when the kernel reclaimed all it was asked
 * (EAGAIN from memory.reclaim, meaning it could not, is also 0: pinned
 * pages are expected to resist); -ENOENT without memory.reclaim; -errno.
 */
int pr_memcg_reclaim(struct pr_memcg *m, size_t bytes, long long *before,
		     long long *after);
/* Bytes of @key ("file", "anon", ...) in the group's memory.stat, or -1. */
long long pr_memcg_stat(const struct pr_memcg *m, const char *key);
/* Move back to the root group and undo what enter did. */
void pr_memcg_leave(struct pr_memcg *m);

#endif
