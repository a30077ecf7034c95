// SPDX-License-Identifier: GPL-2.0
/* The MR mode table. */
#include <infiniband/verbs.h>

#include "mrmode.h"
#include "needs.h"

#define RW                                                                     \
	(IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_READ |                     \
	 IBV_ACCESS_REMOTE_WRITE)

const struct pr_mr_mode pr_mr_pinned_rw = {
	.name = "pinned-rw",
	.access = RW,
	.device_writes = 1,
	.needs = PR_NEED_RDMA,
};

const struct pr_mr_mode pr_mr_pinned_ro = {
	.name = "pinned-ro",
	.access = IBV_ACCESS_REMOTE_READ,
	.device_writes = 0,
	.needs = PR_NEED_RDMA,
};

const struct pr_mr_mode pr_mr_odp = {
	.name = "odp",
	.access = RW | IBV_ACCESS_ON_DEMAND,
	.device_writes = 1,
	.needs = PR_NEED_RDMA | PR_NEED_ODP,
};

const struct pr_mr_mode *const pr_mr_modes_all[] = {
	&pr_mr_pinned_rw, &pr_mr_pinned_ro, &pr_mr_odp, NULL};
