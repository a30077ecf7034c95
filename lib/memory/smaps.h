/* SPDX-License-Identifier: GPL-2.0 */
/* One field of /proc/self/smaps for the mapping that holds an address. */
#ifndef PR_SMAPS_H
#define PR_SMAPS_H

#include <stddef.h>

/*
 * Copy the value of field @key ("VmFlags", "AnonHugePages", ...) of the
 * vma containing @addr into @out, without the key and leading blanks.
 * 0; -ENOENT if no vma holds @addr or it has no such field; -errno.
 */
int pr_smaps_field(const void *addr, const char *key, char *out, size_t len);

#endif
