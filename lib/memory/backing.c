// SPDX-License-Identifier: GPL-2.0
/* File backings: create, map, identify the filesystem, clean up. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "backing.h"
#include "devdax.h"
#include "needs.h"

#ifndef STATX_ATTR_DAX
#define STATX_ATTR_DAX 0x00200000
#endif

const struct pr_backing pr_backing_pagecache = {
	.name = "pagecache",
	.kind = "pagecache",
	.dir_env = "PINRACE_PAGECACHE_DIR",
	.dax = 0,
	.needs = PR_NEED_SCRATCH,
};

const struct pr_backing pr_backing_fsdax = {
	.name = "fsdax",
	.kind = "fsdax",
	.dir_env = "PINRACE_DAX_DIR",
	.dax = 1,
	.needs = PR_NEED_SCRATCH | PR_NEED_DAX,
};

#define FS_BACKING(var, nm, knd, env)                                          \
	const struct pr_backing var = {.name = nm,                             \
				       .kind = knd,                            \
				       .dir_env = env,                         \
				       .fs = nm,                               \
				       .needs = PR_NEED_SCRATCH}

FS_BACKING(pr_backing_xfs, "xfs", "pagecache", "PINRACE_XFS_DIR");
FS_BACKING(pr_backing_ext4, "ext4", "pagecache", "PINRACE_EXT4_DIR");
FS_BACKING(pr_backing_btrfs, "btrfs", "pagecache", "PINRACE_BTRFS_DIR");
FS_BACKING(pr_backing_tmpfs, "tmpfs", "shmem", "PINRACE_TMPFS_DIR");

const struct pr_backing *const pr_backings_pagecache[] = {
	&pr_backing_xfs, &pr_backing_ext4, &pr_backing_btrfs, &pr_backing_tmpfs,
	NULL};

const struct pr_backing pr_backing_memfd = {
	.name = "memfd",
	.kind = "memfd",
	.fs = "memfd",
	.memfd = 1,
};

const struct pr_backing pr_backing_tmp = {
	.name = "tmp",
	.kind = "pagecache",
	.dir_env = "PINRACE_TMP_DIR",
	.dir_default = "/tmp",
	.needs = PR_NEED_SCRATCH,
};

const struct pr_backing pr_backing_fsdax_nvdimm = {
	.name = "fsdax-nvdimm",
	.kind = "fsdax",
	.dir_env = "PINRACE_DAX_NVDIMM_DIR",
	.fs = "xfs",
	.dax = 1,
	.needs = PR_NEED_SCRATCH | PR_NEED_DAX,
};

const struct pr_backing pr_backing_fsdax_ext4 = {
	.name = "fsdax-ext4",
	.kind = "fsdax",
	.dir_env = "PINRACE_DAX_EXT4_DIR",
	.fs = "ext4",
	.dax = 1,
	.needs = PR_NEED_SCRATCH | PR_NEED_DAX,
};

const struct pr_backing pr_backing_devdax = {
	.name = "devdax",
	.kind = "devdax",
	.dir_env = "PINRACE_DEVDAX",
	.dax = 1,
	.chardev = 1,
};

const struct pr_backing *const pr_backings_fsdax[] = {
	&pr_backing_fsdax, &pr_backing_fsdax_ext4, NULL};

const char *pr_backing_dir(const struct pr_backing *b)
{
	const char *d = b->dir_env ? getenv(b->dir_env) : NULL;

	if (d && *d)
		return d;
	return b->dir_default;
}

static const struct {
	unsigned long magic;
	const char *name;
} fs_magics[] = {
	{0x58465342, "xfs"},   {0xef53, "ext4"},   {0x9123683e, "btrfs"},
	{0x01021994, "tmpfs"}, {0x01021997, "9p"}, {0x794c7630, "overlay"},
};

const char *pr_backing_fs(const struct pr_backing *b, char *buf, size_t len)
{
	const char *dir = pr_backing_dir(b);
	struct statfs sfs;

	if (b->memfd) /* shmem, but no mount anyone named */
		return snprintf(buf, len, "memfd"), buf;
	snprintf(buf, len, "?");
	if (!dir || statfs(dir, &sfs))
		return buf;
	for (size_t i = 0; i < sizeof(fs_magics) / sizeof(fs_magics[0]); i++)
		if ((unsigned long)sfs.f_type == fs_magics[i].magic)
			snprintf(buf, len, "%s", fs_magics[i].name);
	if (!strcmp(buf, "?"))
		snprintf(buf, len, "0x%lx", (unsigned long)sfs.f_type);
	return buf;
}

int pr_fd_is_dax(int fd)
{
	struct statx stx;

	if (statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &stx))
		return -errno;
	if (!(stx.stx_attributes_mask & STATX_ATTR_DAX))
		return 0; /* kernel does not report it: not DAX as far as known
			   */
	return !!(stx.stx_attributes & STATX_ATTR_DAX);
}

int pr_file_open(const struct pr_backing *b, const char *tag, size_t len,
		 uint32_t id, int map_flags, struct pr_file *f)
{
	const char *dir = pr_backing_dir(b);
	int err;

	if (b->chardev)
		return pr_devdax_open(b, len, id, f);
	memset(f, 0, sizeof(*f));
	f->fd = -1;
	if (b->memfd) {
		snprintf(f->path, sizeof(f->path), "memfd:pinrace-%d-%s",
			 getpid(), tag);
		f->fd = memfd_create(f->path + 6,
				     MFD_CLOEXEC | MFD_ALLOW_SEALING);
	} else if (!dir) {
		return -ENOENT;
	} else {
		snprintf(f->path, sizeof(f->path), "%s/pinrace-%d-%s", dir,
			 getpid(), tag);
		f->fd = open(f->path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC,
			     0600);
	}
	if (f->fd < 0)
		return -errno;
	f->len = len;
	f->id = id;
	if (ftruncate(f->fd, len))
		goto fail;
	f->map = mmap(NULL, len, PROT_READ | PROT_WRITE,
		      map_flags ? map_flags : MAP_SHARED, f->fd, 0);
	if (f->map == MAP_FAILED) {
		f->map = NULL;
		goto fail;
	}
	return 0;
fail:
	err = -errno;
	pr_file_close(f);
	return err;
}

void pr_file_close(struct pr_file *f)
{
	if (f->map)
		munmap(f->map, f->map_len ? f->map_len : f->len);
	if (f->fd >= 0) {
		close(f->fd);
		if (!f->device && strncmp(f->path, "memfd:", 6))
			unlink(f->path);
	}
	f->map = NULL;
	f->fd = -1;
}

void pr_backing_sweep(const char *dir, pid_t pid)
{
	char prefix[32], path[1024];
	struct dirent *de;
	DIR *d = dir ? opendir(dir) : NULL;

	if (!d)
		return;
	snprintf(prefix, sizeof(prefix), "pinrace-%d-", pid);
	while ((de = readdir(d)))
		if (!strncmp(de->d_name, prefix, strlen(prefix))) {
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
			unlink(path);
		}
	closedir(d);
}
