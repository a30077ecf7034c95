/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The engine every race runs on (the page-cache race, lib/race/race.c; the DAX
 * reallocation race, lib/race/daxrace.c; and the next one): a race names its
 * workers and its release steps, and the core starts the workers under the
 * watchdog (lib/harness/watchdog.h), keeps the deadline (stretched while no layout
 * operation has completed, when the race asks for it), recovers reads cut
 * by SIGBUS or by the watchdog's unmap, joins the workers without blocking
 * on one the watchdog gave up on, and ends the case: a hang, a skip for an
 * unsupported operation, an error, or, once the race has judged and summed
 * up, an inconclusive skip when nothing was judged strictly.
 */
#ifndef PR_RACECORE_H
#define PR_RACECORE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

#include "pinrace.h"

/* What a worker is doing, for reports and for the watchdog. */
struct pr_worker {
	const char *name;
	const char *volatile op; /* the blocking call it is in, or NULL */
	volatile uint64_t off, len;
	volatile struct timespec since; /* when the call began */
	volatile uint64_t progress;	/* calls completed */
	int tid;
};

void pr_worker_enter(struct pr_worker *w, const char *op, uint64_t off,
		     uint64_t len);
void pr_worker_leave(struct pr_worker *w);

/* A blocking call @expr, published for the watchdog as @name. */
#define PR_CALL(w, name, off, len, expr)                                       \
	({                                                                     \
		__typeof__(expr) _rv;                                          \
		pr_worker_enter(w, name, off, len);                            \
		_rv = (expr);                                                  \
		pr_worker_leave(w);                                            \
		_rv;                                                           \
	})

#define PR_CORE_MAXW 4

struct ibv_mr;

struct pr_race_core {
	/* set by the race */
	struct pr_ctx *ctx;
	struct pr_result *res;
	int nw;
	const char *names[PR_CORE_MAXW];
	void *(*fn[PR_CORE_MAXW])(void *arg);
	void *arg;
	/* what the watchdog's release steps unmap and deregister, NULL: not
	 * applicable (the core sets them to NULL once done) */
	void **map;
	size_t map_len;
	struct ibv_mr **mr;
	int stretch; /* no layout operation yet at the deadline: go on, up
		      * to ten times the duration */
	/* the run */
	struct pr_worker w[PR_CORE_MAXW];
	_Atomic int stop; /* traffic stops: workers return */
	struct timespec deadline;
	pthread_mutex_t lock; /* error[], and the race's result updates */
	int skip_errno;	      /* the operation is not supported here */
	int abandoned;	      /* a worker is stuck for good: leave it */
	char error[640];
};

void pr_core_init(struct pr_race_core *k, struct pr_ctx *ctx,
		  struct pr_result *res);
/* Run the workers until the deadline or a stop, under the watchdog. */
void pr_core_run(struct pr_race_core *k);
/* 1 once the workers must return. */
int pr_core_expired(struct pr_race_core *k);
/* Stop everything for an error (the first one is kept). */
void pr_core_fail(struct pr_race_core *k, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void pr_core_sleep_us(long us);
/*
 * Copy from (or, with @dst NULL, write-touch every @step bytes of) a
 * mapping that may fault: SIGBUS past a momentary EOF, SIGSEGV after the
 * watchdog unmapped it.  0, or -EFAULT.
 */
int pr_core_copy(void *dst, void *src, size_t len, size_t step);

enum pr_core_end {
	PR_CORE_GO,	   /* judge and sum up */
	PR_CORE_DONE,	   /* the result is said: tear down */
	PR_CORE_ABANDONED, /* a call is stuck: leave everything as it is */
};
/* After pr_core_run(): a hang, an unsupported @op, an error. */
enum pr_core_end pr_core_end(struct pr_race_core *k, const char *op);
/*
 * The last word on a race that passed: a skip starting "inconclusive: "
 * when no block was judged strictly (@why says what kept them excused),
 * else a note of how many were.
 */
void pr_core_conclude(struct pr_race_core *k, const char *why);
/* A skip whose detail starts "inconclusive: " and the reason. */
void pr_core_inconclusive(struct pr_result *res, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
