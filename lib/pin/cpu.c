// SPDX-License-Identifier: GPL-2.0
/*
 * The control source: no pin at all.  The "device" is the process's own
 * mapping, read and written with plain loads and stores during the same
 * race, so a finding here is a mapping-coherence bug, not a pin bug.  A
 * fault (SIGBUS past a momentary EOF) ends the transfer as a denial.
 */
#include <errno.h>
#include <stdio.h>

#include "mrmode.h"
#include "pin.h"
#include "racecore.h"

int pr_pin_cpu_attach(struct pr_pin *p, char *err, size_t errlen)
{
	(void)p, (void)err, (void)errlen;
	return 0;
}

int pr_pin_cpu_xfer(struct pr_pin *p, int write, size_t off, size_t len,
		    int timeout_ms, char *err, size_t errlen)
{
	char *map = (char *)p->addr + off, *buf = p->buf;

	(void)timeout_ms;
	if (!pr_core_copy(write ? map : buf, write ? buf : map, len, 0))
		return 0;
	snprintf(err, errlen, "CPU %s of %zu+%zu faulted (SIGBUS/SIGSEGV)",
		 write ? "store" : "load", off, len);
	return pr_pin_status(EFAULT);
}

static const struct pr_pin_ops cpu_ops = {
	.call = "CPU access",
	.attach = pr_pin_cpu_attach,
	.xfer = pr_pin_cpu_xfer,
};

const struct pr_mr_mode pr_mr_cpu = {
	.name = "cpu",
	.source = "cpu",
	.device_writes = 1,
	.ops = &cpu_ops,
};
