/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A stuck operation is a finding.  Workers publish the blocking call they
 * are in (struct pr_worker, lib/race/racecore.h); the watchdog notices a call
 * that has not returned @bound seconds after the traffic that could hold it
 * legitimately has stopped, records a "hang" (the call and its arguments,
 * the wait, the thread's kernel stack, wchan and state, what the other
 * threads were doing), then tries to release it in a fixed order: stop all
 * traffic, unmap the mapping, deregister the MRs, signal the thread; the
 * step that worked is recorded.  If none does, the case is an error and
 * the harness abandons the process.
 */
#ifndef PR_WATCHDOG_H
#define PR_WATCHDOG_H

#include <pthread.h>
#include <stdatomic.h>

#include "racecore.h"

struct pr_watchdog {
	struct pr_worker *w; /* the workers, with their tids */
	pthread_t *threads;
	int nw;
	int bound; /* seconds a call may take once traffic has stopped */
	/* the same, for a call asleep in a wait only dropping pins ends
	 * (its wchan in the watchdog's table of such waits); 0: @bound */
	int pin_bound;
	_Atomic int *stop; /* set: traffic stops */
	/* release steps provided by the case, NULL when not applicable */
	void (*unmap)(void *arg);
	void (*deregister)(void *arg);
	void *arg;
	struct pr_result *res;
	/* private */
	pthread_t thread;
	_Atomic int quit;
	struct timespec stopped; /* when *stop was first seen set */
};

/* Start watching; 0 or -errno. */
int pr_watchdog_start(struct pr_watchdog *wd);
/* Stop watching (after the workers are joined or abandoned). */
void pr_watchdog_stop(struct pr_watchdog *wd);
/* Install the signal used to interrupt a stuck call (no SA_RESTART). */
void pr_watchdog_signal_setup(void);
/* 1 if a hang was found and the stuck call was not released. */
int pr_watchdog_unreleased(const struct pr_watchdog *wd);

#endif
