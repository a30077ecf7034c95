// SPDX-License-Identifier: GPL-2.0
/* Device-DAX mapped as a backing. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backing.h"
#include "devdax.h"

#define DEVDAX_DEFAULT_ALIGN (2u << 20)

size_t pr_devdax_attr(const char *dev, const char *attr)
{
	const char *name = strrchr(dev, '/');
	unsigned long long v = 0;
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "/sys/bus/dax/devices/%s/%s",
		 name ? name + 1 : dev, attr);
	f = fopen(path, "re");
	if (!f)
		return 0;
	if (fscanf(f, "%llu", &v) != 1)
		v = 0;
	fclose(f);
	return v;
}

int pr_devdax_open(const struct pr_backing *b, size_t len, uint32_t id,
		   struct pr_file *f)
{
	const char *dev = pr_backing_dir(b);
	size_t align, size;
	struct stat st;
	int err;

	memset(f, 0, sizeof(*f));
	f->fd = -1;
	f->device = 1;
	if (!dev)
		return -ENOENT;
	snprintf(f->path, sizeof(f->path), "%s", dev);
	if (stat(dev, &st))
		return -errno;
	if (!S_ISCHR(st.st_mode))
		return -ENODEV;
	align = pr_devdax_attr(dev, "align");
	if (!align)
		align = DEVDAX_DEFAULT_ALIGN;
	f->map_len = (len + align - 1) / align * align;
	size = pr_devdax_attr(dev, "size");
	if (size && size < f->map_len)
		return -ENOSPC;
	f->fd = open(dev, O_RDWR | O_CLOEXEC);
	if (f->fd < 0)
		return -errno;
	f->len = len;
	f->id = id;
	/* the driver aligns the address itself (its get_unmapped_area) */
	f->map = mmap(NULL, f->map_len, PROT_READ | PROT_WRITE, MAP_SHARED,
		      f->fd, 0);
	if (f->map == MAP_FAILED) {
		err = -errno;
		f->map = NULL;
		pr_file_close(f);
		return err;
	}
	return 0;
}
