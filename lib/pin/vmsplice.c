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

/* The range goes into as many pipes as it takes, each of chunk bytes. */
struct vsp {
	int (*pfd)[2];
	size_t npipes, chunk;
	char *drain; /* the whole range, as the pipes give it back */
	int full;    /* the pipes hold the whole range */
};

/* Empty the pipes of what a splice cut short left in them. */
static void discard(struct vsp *v)
{
	for (size_t i = 0; i < v->npipes; i++)
		while (read(v->pfd[i][0], v->drain, v->chunk) > 0)
			;
}

/* The whole range into the pipes: 0 or -errno (the kernel refused). */
static int splice_in(struct pr_pin *p, char *err, size_t errlen)
{
	struct vsp *v = p->priv;

	for (size_t i = 0, off = 0; i < v->npipes; i++) {
		size_t end = off + v->chunk < p->len ? off + v->chunk : p->len;
		struct iovec iov = {.iov_base = (char *)p->addr + off,
				    .iov_len = end - off};

		while (iov.iov_len) {
			ssize_t n = vmsplice(v->pfd[i][1], &iov, 1, 0);

			if (n <= 0) {
				snprintf(err, errlen, "vmsplice of %zu+%zu: %s",
					 end - iov.iov_len, iov.iov_len,
					 n ? strerror(errno) : "no progress");
				return n ? -errno : -EIO;
			}
			iov.iov_base = (char *)iov.iov_base + n;
			iov.iov_len -= n;
		}
		off = end;
	}
	v->full = 1;
	return 0;
}

/* Pipes of chunk bytes: up to 1 MiB each (pipe-max-size's default),
 * 64 KiB (a pipe's default) where the kernel will not resize them. */
static int make_pipes(struct vsp *v, size_t len, char *err, size_t errlen)
{
	v->chunk = 4096;
	while (v->chunk < len && v->chunk < (1u << 20))
		v->chunk <<= 1;
	for (int tries = 0; tries < 2; tries++) {
		v->npipes = (len + v->chunk - 1) / v->chunk;
		v->pfd = calloc(v->npipes, sizeof(*v->pfd));
		if (!v->pfd)
			return snprintf(err, errlen, "out of memory"), -1;
		for (size_t i = 0; i < v->npipes; i++)
			v->pfd[i][0] = v->pfd[i][1] = -1;
		for (size_t i = 0; i < v->npipes; i++)
			if (pipe2(v->pfd[i], O_CLOEXEC | O_NONBLOCK) ||
			    fcntl(v->pfd[i][1], F_SETPIPE_SZ, (int)v->chunk) <
				    (int)v->chunk)
				goto retry;
		return 0;
	retry:
		snprintf(err, errlen, "pipes of %zu bytes: %s", v->chunk,
			 strerror(errno));
		for (size_t i = 0; i < v->npipes; i++)
			for (int k = 0; k < 2; k++)
				if (v->pfd[i][k] >= 0)
					close(v->pfd[i][k]);
		free(v->pfd);
		v->pfd = NULL;
		v->npipes = 0;
		v->chunk = 65536;
	}
	return -1;
}

static int vsp_attach(struct pr_pin *p, char *err, size_t errlen)
{
	struct vsp *v = calloc(1, sizeof(*v));

	if (!v || !(v->drain = malloc(p->len))) {
		free(v);
		return snprintf(err, errlen, "out of memory"), PR_PIN_BROKEN;
	}
	p->priv = v;
	if (make_pipes(v, p->len, err, errlen))
		return PR_PIN_BROKEN;
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
		discard(v);
		return pr_pin_status(-rc);
	}
	for (size_t i = 0; got < p->len; i++) {
		size_t want = p->len - got < v->chunk ? p->len - got : v->chunk;

		while (want) {
			ssize_t n = read(v->pfd[i][0], v->drain + got, want);

			if (n <= 0) {
				snprintf(err, errlen,
					 "the pipes gave %zu of %zu bytes: %s",
					 got, p->len,
					 n ? strerror(errno) : "EOF");
				return -EIO;
			}
			got += n;
			want -= n;
		}
	}
	memcpy(p->buf, v->drain + off, len);
	v->full = 0;
	/* the pages for the next read, taken now; a failure is retried then */
	if (splice_in(p, err, errlen))
		discard(v);
	return 0;
}

static void vsp_detach(struct pr_pin *p)
{
	struct vsp *v = p->priv;

	if (!v)
		return;
	for (size_t i = 0; i < v->npipes; i++)
		for (int k = 0; k < 2; k++)
			if (v->pfd[i][k] >= 0)
				close(v->pfd[i][k]);
	free(v->pfd);
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
