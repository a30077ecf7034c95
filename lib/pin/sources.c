// SPDX-License-Identifier: GPL-2.0
/* The pin-source tables: every source, and the page-cache matrix's. */
#include <stddef.h>

#include "mrmode.h"
#include "pin.h"

const struct pr_mr_mode *const pr_mr_sources_all[] = {
	&pr_mr_pinned_rw,   &pr_mr_pinned_ro, &pr_mr_odp,     &pr_mr_cpu,
	&pr_mr_uring_fixed, &pr_mr_vmsplice,  &pr_mr_odirect, NULL};

/*
 * The page-cache matrix (pagecache-layout, pagecache-race): vmsplice's
 * pipe is a snapshot of pages read later, so in a race it shows whatever
 * changed since its last read and tells nothing mr-pagecache-truncate
 * does not; O_DIRECT's races are dax-odirect-race's and dax-pmd's.  Both
 * stay out of the matrix, which keeps the quick profile short.
 */
const struct pr_mr_mode *const pr_mr_sources_matrix[] = {
	&pr_mr_pinned_rw, &pr_mr_pinned_ro,   &pr_mr_odp,
	&pr_mr_cpu,	  &pr_mr_uring_fixed, NULL};
