/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Backings: where the registered memory comes from.  Each is an entry of
 * data (which directory, whether it must be DAX); files are created,
 * sized, mapped and removed through one set of calls.  Files are named
 * "pinrace-<pid>-<tag>" so the harness can remove what a killed case
 * left behind.
 */
#ifndef PR_BACKING_H
#define PR_BACKING_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct pr_backing {
	const char *name;	 /* case-name component */
	const char *kind;	 /* results.jsonl "backing" */
	const char *dir_env;	 /* environment variable naming the directory */
	const char *dir_default; /* when the variable is unset, or NULL */
	const char *fs; /* the directory must be this filesystem, or NULL */
	int dax;	/* 1: files must be DAX, 0: must not be */
	unsigned int needs;
	/* 1: dir_env names a device-DAX character device, not a directory:
	 * "files" are its first bytes, mapped (lib/memory/devdax.h) */
	int chardev;
	/* 1: no directory, files are memfd_create() files (shmem) */
	int memfd;
};

extern const struct pr_backing pr_backing_pagecache; /* any filesystem */
extern const struct pr_backing pr_backing_fsdax;
/* One per filesystem of the page-cache matrix. */
extern const struct pr_backing pr_backing_xfs, pr_backing_ext4,
	pr_backing_btrfs, pr_backing_tmpfs;
/* The page-cache matrix: xfs, ext4, btrfs, tmpfs; NULL-ended. */
extern const struct pr_backing *const pr_backings_pagecache[];
/* memfd_create() files: shmem without a mount, sealable. */
extern const struct pr_backing pr_backing_memfd;
/* A scratch directory for self-tests ($PINRACE_TMP_DIR, default /tmp). */
extern const struct pr_backing pr_backing_tmp;
/*
 * Filesystem DAX on NVDIMM namespaces (setup/host/nvdimm.sh): XFS
 * ($PINRACE_DAX_NVDIMM_DIR) and ext4 ($PINRACE_DAX_EXT4_DIR), both mounted
 * -o dax=always; device-DAX ($PINRACE_DEVDAX, /dev/daxX.Y).
 */
extern const struct pr_backing pr_backing_fsdax_nvdimm, pr_backing_fsdax_ext4;
extern const struct pr_backing pr_backing_devdax;
/* Filesystem DAX on XFS (pmem) and on ext4 (NVDIMM); NULL-ended. */
extern const struct pr_backing *const pr_backings_fsdax[];

struct pr_file {
	int fd;
	char path[512];
	void *map;
	size_t len;
	uint32_t id;
	size_t map_len; /* bytes mapped, when more than len (device-DAX) */
	int device;	/* a device, not a file: never truncated or unlinked */
};

const char *pr_backing_dir(const struct pr_backing *b);
/* Filesystem type name of the backing's directory ("xfs"), or "?". */
const char *pr_backing_fs(const struct pr_backing *b, char *buf, size_t len);
/* 1 if @fd is DAX (statx STATX_ATTR_DAX), 0 if not, -errno if unknown. */
int pr_fd_is_dax(int fd);
/*
 * Create a file of @len bytes in the backing's directory and map it
 * MAP_SHARED (or @map_flags if non-zero).  0 or -errno.  A chardev
 * backing maps the device instead (pr_devdax_open()).
 */
int pr_file_open(const struct pr_backing *b, const char *tag, size_t len,
		 uint32_t id, int map_flags, struct pr_file *f);
void pr_file_close(struct pr_file *f);
/* Remove files left in @dir by process @pid. */
void pr_backing_sweep(const char *dir, pid_t pid);

#endif
