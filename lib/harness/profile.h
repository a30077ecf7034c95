/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Run profiles (workloads/<name>.profile): sizes and durations, so quick CI
 * runs and long lab soaks use the same case bodies.
 */
#ifndef PR_PROFILE_H
#define PR_PROFILE_H

#include <stddef.h>

struct pr_profile {
	char name[32];
	size_t file_size;   /* bytes per test file */
	size_t block_size;  /* verification block size */
	int duration;	    /* seconds per race case */
	int threads;	    /* traffic threads per race case */
	int qdepth;	    /* RDMA work requests in flight */
	int timeout;	    /* seconds per case before it is killed */
	int cqe_timeout_ms; /* wait for one completion */
	int hang_bound; /* seconds a blocking call may take once traffic stops
			 */
	int pin_wait_bound; /* the same for a call asleep in a wait that only
			     * dropping pins ends (a DAX layout break) */
	int burst;    /* a race's layout operations between quiet windows */
	int quiet_ms; /* a quiet window: the layout thread pauses, so reads
		       * in it are judged strictly; 0: none */
	/* background fio jobs (setup/host/pressure.sh): workloads/<name>.fio
	 * names, comma-separated; "" or "none": none */
	char pressure[128];
	size_t pressure_size; /* working set of each pressure job */
};

/* Defaults, then $PINRACE_PROFILE (a file path). 0, or -1 with a message. */
int pr_profile_load(struct pr_profile *p, char *err, size_t len);

#endif
