// SPDX-License-Identifier: GPL-2.0
/*
 * io_uring fixed buffers: IORING_REGISTER_BUFFERS pins the mapping
 * (FOLL_WRITE | FOLL_PIN | FOLL_LONGTERM).  The "device" reads the pinned
 * pages with WRITE_FIXED into its own file (a memfd) and writes them with
 * READ_FIXED from it; the file is read and written with pread/pwrite on
 * the other side.  File-backed registration other than shmem and hugetlb
 * is refused (EOPNOTSUPP before 6.5, EFAULT from GUP since 34ed8d0dcd69).
 */
#include <errno.h>
#include <liburing.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "mrmode.h"
#include "needs.h"
#include "pin.h"

struct uring {
	struct io_uring ring;
	int ring_ok, registered;
	int fd; /* the device's file */
};

static int uring_attach(struct pr_pin *p, char *err, size_t errlen)
{
	struct iovec iov = {.iov_base = p->addr, .iov_len = p->len};
	struct uring *u = calloc(1, sizeof(*u));
	int rc;

	if (!u)
		return snprintf(err, errlen, "out of memory"), PR_PIN_BROKEN;
	p->priv = u;
	u->fd = memfd_create("pinrace-uring-device", MFD_CLOEXEC);
	if (u->fd < 0 || ftruncate(u->fd, p->len)) {
		snprintf(err, errlen, "the device's memfd: %s",
			 strerror(errno));
		return PR_PIN_BROKEN;
	}
	rc = io_uring_queue_init(4, &u->ring, 0);
	if (rc) {
		snprintf(err, errlen, "io_uring_queue_init: %s", strerror(-rc));
		return PR_PIN_BROKEN;
	}
	u->ring_ok = 1;
	rc = io_uring_register_buffers(&u->ring, &iov, 1);
	if (rc)
		snprintf(err, errlen, "IORING_REGISTER_BUFFERS: %s",
			 strerror(-rc));
	u->registered = !rc;
	return rc;
}

/* One fixed-buffer request over [off, +len) of the pinned range. */
static int fixed(struct pr_pin *p, int write, size_t off, size_t len,
		 int timeout_ms, char *err, size_t errlen)
{
	struct uring *u = p->priv;
	struct __kernel_timespec ts = {timeout_ms / 1000,
				       timeout_ms % 1000 * 1000000L};
	struct io_uring_sqe *sqe = io_uring_get_sqe(&u->ring);
	struct io_uring_cqe *cqe;
	char *at = (char *)p->addr + off;
	int rc, res;

	if (!sqe)
		return snprintf(err, errlen, "no free SQE"), -EBUSY;
	if (write) /* the device writes the pinned pages: READ_FIXED */
		io_uring_prep_read_fixed(sqe, u->fd, at, len, off, 0);
	else
		io_uring_prep_write_fixed(sqe, u->fd, at, len, off, 0);
	rc = io_uring_submit(&u->ring);
	if (rc != 1) {
		snprintf(err, errlen, "io_uring_submit: %s",
			 strerror(rc < 0 ? -rc : EIO));
		return rc < 0 ? rc : -EIO;
	}
	rc = io_uring_wait_cqe_timeout(&u->ring, &cqe, &ts);
	if (rc == -ETIME)
		return snprintf(err, errlen, "no CQE in %d ms", timeout_ms),
		       -ETIMEDOUT;
	if (rc)
		return snprintf(err, errlen, "io_uring_wait_cqe: %s",
				strerror(-rc)),
		       rc;
	res = cqe->res;
	io_uring_cqe_seen(&u->ring, cqe);
	if (res == (int)len)
		return 0;
	snprintf(err, errlen, "%s of %zu+%zu: %s",
		 write ? "READ_FIXED" : "WRITE_FIXED", off, len,
		 res < 0 ? strerror(-res) : "short");
	return pr_pin_status(res < 0 ? -res : 0);
}

static int uring_xfer(struct pr_pin *p, int write, size_t off, size_t len,
		      int timeout_ms, char *err, size_t errlen)
{
	struct uring *u = p->priv;
	char *buf = p->buf;
	int rc;

	if (write && pwrite(u->fd, buf, len, off) != (ssize_t)len)
		return snprintf(err, errlen, "staging the device's data: %s",
				strerror(errno)),
		       -EIO;
	rc = fixed(p, write, off, len, timeout_ms, err, errlen);
	if (!rc && !write && pread(u->fd, buf, len, off) != (ssize_t)len)
		return snprintf(err, errlen,
				"reading what the device wrote: %s",
				strerror(errno)),
		       -EIO;
	return rc;
}

static void uring_detach(struct pr_pin *p)
{
	struct uring *u = p->priv;

	if (!u)
		return;
	/* unpinned here, not later in the ring's exit work */
	if (u->registered)
		io_uring_unregister_buffers(&u->ring);
	if (u->ring_ok)
		io_uring_queue_exit(&u->ring);
	if (u->fd >= 0)
		close(u->fd);
	free(u);
	p->priv = NULL;
}

static const struct pr_pin_ops uring_ops = {
	.call = "IORING_REGISTER_BUFFERS",
	.attach = uring_attach,
	.xfer = uring_xfer,
	.detach = uring_detach,
};

const struct pr_mr_mode pr_mr_uring_fixed = {
	.name = "uring-fixed",
	.source = "io_uring",
	.device_writes = 1,
	.needs = PR_NEED_IO_URING,
	.ops = &uring_ops,
};

int pr_uring_probe(char *why, size_t len)
{
	static char page[4096] __attribute__((aligned(4096)));
	struct iovec iov = {.iov_base = page, .iov_len = sizeof(page)};
	struct io_uring ring;
	int rc = io_uring_queue_init(2, &ring, 0);

	if (rc) {
		snprintf(why, len, "no io_uring: io_uring_setup: %s%s",
			 strerrorname_np(-rc),
			 rc == -EPERM ? " (kernel.io_uring_disabled?)" : "");
		return -1;
	}
	rc = io_uring_register_buffers(&ring, &iov, 1);
	if (rc)
		snprintf(
			why, len,
			"no io_uring fixed buffers: IORING_REGISTER_BUFFERS of anonymous memory: %s",
			strerrorname_np(-rc));
	else
		io_uring_unregister_buffers(&ring);
	io_uring_queue_exit(&ring);
	return rc ? -1 : 0;
}
