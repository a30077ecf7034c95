// SPDX-License-Identifier: GPL-2.0
/* Joining workers a watchdog may have given up on. */
#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "watchdog.h"
#include "wdjoin.h"

int pr_join_watched(pthread_t *t, int n, const struct pr_watchdog *wd)
{
	char *joined = calloc(n, 1);
	int left = n;

	while (joined && left) {
		for (int i = 0; i < n; i++) {
			struct timespec ts;

			if (joined[i])
				continue;
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += 100 * 1000 * 1000;
			if (ts.tv_nsec >= 1000000000) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000;
			}
			if (!pthread_timedjoin_np(t[i], NULL, &ts)) {
				joined[i] = 1;
				left--;
			}
		}
		if (left && wd->res->hang_release[0] &&
		    pr_watchdog_unreleased(wd))
			break;
	}
	free(joined);
	return left > 0;
}
