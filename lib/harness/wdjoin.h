/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Joining the workers of a watched case: join what returns, and never
 * block on a thread the watchdog found stuck and could not release (the
 * harness abandons that process).  For every case that runs workers under
 * a struct pr_watchdog.
 */
#ifndef PR_WDJOIN_H
#define PR_WDJOIN_H

#include <pthread.h>

struct pr_watchdog;

/* Join @n threads; 0 when all were joined, 1 when some are abandoned. */
int pr_join_watched(pthread_t *t, int n, const struct pr_watchdog *wd);

#endif
