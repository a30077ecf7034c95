// SPDX-License-Identifier: GPL-2.0
/*
 * The pin accounting's self-test: the control source, plus one page of
 * anonymous memory registered as an io_uring fixed buffer in a ring that
 * is never closed, so its pin outlives the case's teardown.  The check
 * in pr_mrfile_close() must call that a pin-leak.
 */
#include <liburing.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mrmode.h"
#include "needs.h"
#include "pin.h"

static int leak_attach(struct pr_pin *p, char *err, size_t errlen)
{
	static struct io_uring ring; /* never exited: the pin stays */
	void *page = aligned_alloc(4096, 4096);
	struct iovec iov = {.iov_base = page, .iov_len = 4096};
	int rc = page ? io_uring_queue_init(2, &ring, 0) : -1;

	if (!rc) {
		memset(page, 0, 4096);
		rc = io_uring_register_buffers(&ring, &iov, 1);
	}
	if (rc)
		return snprintf(err, errlen, "the self-test's own pin: %s",
				strerror(rc < 0 ? -rc : 12)),
		       PR_PIN_BROKEN;
	return pr_pin_cpu_attach(p, err, errlen);
}

static const struct pr_pin_ops leak_ops = {
	.call = "CPU access and a forgotten io_uring buffer",
	.attach = leak_attach,
	.xfer = pr_pin_cpu_xfer, /* the transfers are the control's */
};

const struct pr_mr_mode pr_mr_selftest_leak = {
	.name = "selftest-pin-leak",
	.source = "cpu",
	.device_writes = 1,
	.needs = PR_NEED_IO_URING | PR_NEED_ROOT,
	.ops = &leak_ops,
};
