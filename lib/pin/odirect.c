// SPDX-License-Identifier: GPL-2.0
/*
 * O_DIRECT: short-term pins (FOLL_PIN, no FOLL_LONGTERM) for the length
 * of each transfer.  The "device" reads the mapping with an O_DIRECT
 * write into its own file in the page-cache directory, and writes the
 * mapping with an O_DIRECT read from that file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backing.h"
#include "mrmode.h"
#include "needs.h"
#include "pin.h"

struct odx {
	int fd;
};

/* The device's file, unlinked at once: -1 with @err set on failure. */
static int dio_file(const char *what, char *err, size_t errlen)
{
	const char *dir = pr_backing_dir(&pr_backing_pagecache);
	char path[600];
	int fd;

	if (!dir) {
		snprintf(err, errlen, "no page-cache directory ($%s unset)",
			 pr_backing_pagecache.dir_env);
		return -1;
	}
	snprintf(path, sizeof(path), "%s/pinrace-%d-%s", dir, getpid(), what);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_DIRECT | O_CLOEXEC,
		  0600);
	if (fd < 0)
		snprintf(err, errlen, "O_DIRECT file in %s: %s", dir,
			 strerror(errno));
	else
		unlink(path);
	return fd;
}

static int odx_attach(struct pr_pin *p, char *err, size_t errlen)
{
	struct odx *o = calloc(1, sizeof(*o));

	if (!o)
		return snprintf(err, errlen, "out of memory"), PR_PIN_BROKEN;
	p->priv = o;
	o->fd = dio_file("odirect-device", err, errlen);
	if (o->fd < 0 || ftruncate(o->fd, p->len)) {
		if (o->fd >= 0)
			snprintf(err, errlen, "sizing the O_DIRECT file: %s",
				 strerror(errno));
		return PR_PIN_BROKEN;
	}
	return 0;
}

/* One O_DIRECT call; 0, or what pr_rdma_xfer() would return. */
static int dio(int fd, int write, void *at, size_t off, size_t len,
	       const char *what, char *err, size_t errlen)
{
	ssize_t n = write ? pwrite(fd, at, len, off) : pread(fd, at, len, off);

	if (n == (ssize_t)len)
		return 0;
	snprintf(err, errlen, "%s of %zu+%zu: %s", what, off, len,
		 n < 0 ? strerror(errno) : "short");
	return pr_pin_status(n < 0 ? errno : 0);
}

static int odx_xfer(struct pr_pin *p, int write, size_t off, size_t len,
		    int timeout_ms, char *err, size_t errlen)
{
	struct odx *o = p->priv;
	char *map = (char *)p->addr + off, *buf = p->buf;
	int rc;

	(void)timeout_ms;
	if (write) /* staged from the device's buffer, then into the mapping */
		return dio(o->fd, 1, buf, off, len, "staging O_DIRECT write",
			   err, errlen)
			       ? -EIO
			       : dio(o->fd, 0, map, off, len,
				     "O_DIRECT read into the mapping", err,
				     errlen);
	rc = dio(o->fd, 1, map, off, len, "O_DIRECT write from the mapping",
		 err, errlen);
	if (!rc && dio(o->fd, 0, buf, off, len, "reading back", err, errlen))
		return -EIO;
	return rc;
}

static void odx_detach(struct pr_pin *p)
{
	struct odx *o = p->priv;

	if (!o)
		return;
	if (o->fd >= 0)
		close(o->fd);
	free(o);
	p->priv = NULL;
}

static const struct pr_pin_ops odx_ops = {
	.call = "O_DIRECT",
	.attach = odx_attach,
	.xfer = odx_xfer,
	.detach = odx_detach,
};

const struct pr_mr_mode pr_mr_odirect = {
	.name = "odirect",
	.source = "odirect",
	.device_writes = 1,
	.needs = PR_NEED_ODIRECT,
	.ops = &odx_ops,
};

int pr_odirect_probe(char *why, size_t len)
{
	void *blk = aligned_alloc(4096, 4096);
	int fd = blk ? dio_file("odirect-probe", why, len) : -1;
	int ok = fd >= 0 && pwrite(fd, memset(blk, 0, 4096), 4096, 0) == 4096;

	if (fd >= 0 && !ok) /* else dio_file() said why */
		snprintf(why, len,
			 "no O_DIRECT in the page-cache directory: %s",
			 strerror(errno));
	if (fd >= 0)
		close(fd);
	free(blk);
	return ok ? 0 : -1;
}
