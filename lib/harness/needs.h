/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Requirements as data.  Each bit is checked by trying the feature; an
 * unmet one is a SKIP naming the missing piece, a piece that is configured
 * but broken is an ERROR.
 */
#ifndef PR_NEEDS_H
#define PR_NEEDS_H

#include <stddef.h>

enum {
	PR_NEED_ROOT = 1u << 0,
	PR_NEED_RDMA = 1u << 1,	     /* an RDMA device with an active port */
	PR_NEED_ODP = 1u << 2,	     /* RC ODP with RDMA READ and WRITE */
	PR_NEED_DAX = 1u << 3,	     /* the backing's directory is fsdax */
	PR_NEED_SCRATCH = 1u << 4,   /* the backing's directory exists */
	PR_NEED_REFLINK = 1u << 5,   /* FICLONE works in the backing's dir */
	PR_NEED_KMSG = 1u << 6,	     /* /dev/kmsg readable and writable */
	PR_NEED_IO_URING = 1u << 7,  /* io_uring with fixed buffers */
	PR_NEED_ODIRECT = 1u << 8,   /* O_DIRECT in the page-cache directory */
	PR_NEED_SECRETMEM = 1u << 9, /* memfd_secret() */
	PR_NEED_VFIO = 1u << 10,     /* $PINRACE_VFIO_DEV opens through VFIO */
	PR_NEED_NBITS = 11
};

struct pr_case;
struct pr_ctx;

const char *pr_need_name(unsigned int bit);
/*
 * Check every bit of @needs for case @c.  Returns PR_PASS when all are
 * met, else PR_SKIP or PR_ERROR with the reason in @why.
 */
int pr_needs_check(struct pr_ctx *ctx, const struct pr_case *c,
		   unsigned int needs, char *why, size_t len);

#endif
