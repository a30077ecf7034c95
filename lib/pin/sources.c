// SPDX-License-Identifier: GPL-2.0
/* The pin-source tables: every source, and those the race runs. */
#include <stddef.h>

#include "mrmode.h"
#include "pin.h"

const struct pr_mr_mode *const pr_mr_sources_all[] = {
	&pr_mr_pinned_rw,   &pr_mr_pinned_ro, &pr_mr_odp,     &pr_mr_cpu,
	&pr_mr_uring_fixed, &pr_mr_vmsplice,  &pr_mr_odirect, NULL};

/* O_DIRECT's races are dax-odirect-race's and dax-pmd's; its per-transfer
 * pins are judged by the deterministic matrix. */
const struct pr_mr_mode *const pr_mr_sources_race[] = {
	&pr_mr_pinned_rw,   &pr_mr_pinned_ro, &pr_mr_odp, &pr_mr_cpu,
	&pr_mr_uring_fixed, &pr_mr_vmsplice,  NULL};
