/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Mounts from /proc/mounts: find the one a directory is, and mount it
 * again (unmount, then mount the same device with the same options), so a
 * test can read what really reached the filesystem.
 */
#ifndef PR_MOUNTS_H
#define PR_MOUNTS_H

#include <stddef.h>

struct pr_mount {
	char dev[256];
	char dir[256];
	char type[32];
	char opts[512]; /* as /proc/mounts shows them */
};

/* The mount whose mount point is @dir.  0; -ENOENT if @dir is not one. */
int pr_mount_find(const char *dir, struct pr_mount *m);
/*
 * Unmount @m (retrying while busy for up to a second) and mount it again
 * with the options it had.  0, or -errno with a message in @err; on every
 * path that unmounted, the mount is attempted again before returning.
 */
int pr_mount_cycle(const struct pr_mount *m, char *err, size_t len);

#endif
