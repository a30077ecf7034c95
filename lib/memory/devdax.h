/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Device-DAX as a backing: no filesystem, no file.  The character device
 * ($PINRACE_DEVDAX, /dev/daxX.Y) is mapped MAP_SHARED from offset 0, in
 * whole units of its alignment (2 MiB by default: the driver refuses
 * anything else), and the case uses its first bytes.  Layout operations do
 * not apply: the mapping is the memory.
 */
#ifndef PR_DEVDAX_H
#define PR_DEVDAX_H

#include <stddef.h>
#include <stdint.h>

struct pr_backing;
struct pr_file;

/*
 * Map @len bytes (rounded up to the device's alignment) of the backing's
 * device into @f; f->len is @len, f->map_len what was mapped.  0, or
 * -errno: -ENOENT when the backing names no device, -ENODEV when it is not
 * a character device, -ENOSPC when the device is smaller.
 */
int pr_devdax_open(const struct pr_backing *b, size_t len, uint32_t id,
		   struct pr_file *f);
/* The device's mapping alignment and size from sysfs (0 when unknown). */
size_t pr_devdax_attr(const char *dev, const char *attr);

#endif
