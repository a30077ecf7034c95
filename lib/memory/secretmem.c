// SPDX-License-Identifier: GPL-2.0
/* memfd_secret() mappings, and the probe that says whether there are any. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "pin.h"
#include "secretmem.h"

#ifndef SYS_memfd_secret
#define SYS_memfd_secret 447
#endif

int pr_secretmem_map(size_t len, void **addr)
{
	int fd = syscall(SYS_memfd_secret, 0), err = 0;
	void *p;

	if (fd < 0)
		return -errno;
	if (ftruncate(fd, len))
		err = -errno;
	p = err ? MAP_FAILED
		: mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (!err && p == MAP_FAILED)
		err = -errno;
	close(fd);
	if (!err)
		*addr = p;
	return err;
}

int pr_secretmem_probe(char *why, size_t len)
{
	void *p;
	int rc = pr_secretmem_map(4096, &p);

	if (!rc) {
		munmap(p, 4096);
		return 0;
	}
	snprintf(
		why, len, "no memfd_secret: %s%s", strerrorname_np(-rc),
		rc == -ENOSYS
			? " (CONFIG_SECRETMEM unset, or secretmem.enable=0 on the command line)"
			: "");
	return -1;
}
