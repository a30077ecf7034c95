// SPDX-License-Identifier: GPL-2.0
/*
 * vmsplice: the mapping's pages spliced into a pipe (references taken by
 * GUP, the bytes not copied), the pipe read later: a read-only device.
 * A read drains the pipe, keeps the bytes asked for, and splices the
 * whole range again, so the next read shows the pages the pipe took then
 * (where that splice fails, past a momentary EOF, the next read splices
 * first, and its failure is the transfer's).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "mrmode.h"
#include "pin.h"

struct vsp {
	int pfd[2];
	char *drain; /* the whole range, as the pipe gives it back */
	int full;    /* the pipe holds the whole range */
};

/* Empty the pipe of what a splice cut short left in it. */
static void discard(struct vsp *v, size_t len)
{
	while (read(v->pfd[0], v->drain, len) > 0)
		;
}

/* The whole range into the pipe: 0 or -errno (the kernel refused). */
static int splice_in(struct pr_pin *p, char *err, size_t errlen)
{
	struct vsp *v = p->priv;
	struct iovec iov = {.iov_base = p->addr, .iov_len = p->len};

	while (iov.iov_len) {
		ssize_t n = vmsplice(v->pfd[1], &iov, 1, 0);

		if (n <= 0) {
			snprintf(err, errlen, "vmsplice of %zu+%zu: %s",
				 p->len - iov.iov_len, iov.iov_len,
				 n ? strerror(errno) : "no progress");
			return n ? -errno : -EIO;
		}
		iov.iov_base = (char *)iov.iov_base + n;
		iov.iov_len -= n;
	}
	v->full = 1;
	return 0;
}

static int vsp_attach(struct pr_pin *p, char *err, size_t errlen)
{
	struct vsp *v = calloc(1, sizeof(*v));
	long want = 4096;

	if (!v || !(v->drain = malloc(p->len))) {
		free(v);
		return snprintf(err, errlen, "out of memory"), PR_PIN_BROKEN;
	}
	p->priv = v;
	v->pfd[0] = v->pfd[1] = -1;
	while ((size_t)want < p->len)
		want <<= 1;
	if (pipe2(v->pfd, O_CLOEXEC | O_NONBLOCK) ||
	    fcntl(v->pfd[1], F_SETPIPE_SZ, want) < want) {
		snprintf(err, errlen, "a pipe of %ld bytes: %s", want,
			 strerror(errno));
		return PR_PIN_BROKEN;
	}
	return splice_in(p, err, errlen);
}

static int vsp_xfer(struct pr_pin *p, int write, size_t off, size_t len,
		    int timeout_ms, char *err, size_t errlen)
{
	struct vsp *v = p->priv;
	size_t got = 0;
	int rc;

	(void)timeout_ms;
	if (write)
		return snprintf(err, errlen, "vmsplice is a read-only device"),
		       -EOPNOTSUPP;
	/* a splice after the last read failed (past a momentary EOF): now */
	if (!v->full && (rc = splice_in(p, err, errlen))) {
		discard(v, p->len);
		return pr_pin_status(-rc);
	}
	while (got < p->len) {
		ssize_t n = read(v->pfd[0], v->drain + got, p->len - got);

		if (n <= 0) {
			snprintf(err, errlen,
				 "the pipe gave %zu of %zu bytes: %s", got,
				 p->len, n ? strerror(errno) : "EOF");
			return -EIO;
		}
		got += n;
	}
	memcpy(p->buf, v->drain + off, len);
	v->full = 0;
	/* the pages for the next read, taken now; a failure is retried then */
	if (splice_in(p, err, errlen))
		discard(v, p->len);
	return 0;
}

static void vsp_detach(struct pr_pin *p)
{
	struct vsp *v = p->priv;

	if (!v)
		return;
	for (int i = 0; i < 2; i++)
		if (v->pfd[i] >= 0)
			close(v->pfd[i]);
	free(v->drain);
	free(v);
	p->priv = NULL;
}

static const struct pr_pin_ops vsp_ops = {
	.call = "vmsplice",
	.attach = vsp_attach,
	.xfer = vsp_xfer,
	.detach = vsp_detach,
};

const struct pr_mr_mode pr_mr_vmsplice = {
	.name = "vmsplice",
	.source = "vmsplice",
	.device_writes = 0,
	.ops = &vsp_ops,
};
