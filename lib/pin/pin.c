// SPDX-License-Identifier: GPL-2.0
/* Dispatch to a pin source's ops, and the rules every source shares. */
#include <errno.h>
#include <stdio.h>
#include <infiniband/verbs.h>

#include "mrmode.h"
#include "pin.h"

int pr_pin_attach(struct pr_pin *p, const struct pr_mr_mode *mode, void *addr,
		  size_t len, void *buf, char *err, size_t errlen)
{
	int rc;

	*p = (struct pr_pin){
		.ops = mode->ops, .addr = addr, .len = len, .buf = buf};
	rc = p->ops->attach(p, err, errlen);
	p->attached = !rc;
	if (rc && p->ops->detach)
		p->ops->detach(p); /* whatever a half-done attach left */
	return rc;
}

int pr_pin_xfer(struct pr_pin *p, int write, size_t off, size_t len,
		int timeout_ms, char *err, size_t errlen)
{
	int rc = pr_pin_range(p, off, len, err, errlen);

	return rc ? rc
		  : p->ops->xfer(p, write, off, len, timeout_ms, err, errlen);
}

void pr_pin_detach(struct pr_pin *p)
{
	if (p->ops && p->attached && p->ops->detach)
		p->ops->detach(p);
	p->attached = 0;
}

int pr_pin_status(int err)
{
	return err == EFAULT ? IBV_WC_REM_ACCESS_ERR
	       : err	     ? IBV_WC_GENERAL_ERR
			     : IBV_WC_LOC_LEN_ERR;
}

int pr_pin_range(const struct pr_pin *p, size_t off, size_t len, char *err,
		 size_t errlen)
{
	if (p->attached && off <= p->len && len <= p->len - off)
		return 0;
	snprintf(err, errlen, "%s: %zu+%zu outside the %zu pinned bytes%s",
		 p->ops->call, off, len, p->len,
		 p->attached ? "" : " (not attached)");
	return -EINVAL;
}
