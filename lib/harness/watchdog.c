// SPDX-License-Identifier: GPL-2.0
/* The watchdog: find a stuck call, describe it, try to release it. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "watchdog.h"

#define WD_SIGNAL SIGUSR2

static void on_wd_signal(int sig)
{
	(void)sig; /* only there to interrupt a sleeping call */
}

void pr_watchdog_signal_setup(void)
{
	struct sigaction sa = {.sa_handler = on_wd_signal};

	sigemptyset(&sa.sa_mask);
	sigaction(WD_SIGNAL, &sa, NULL); /* no SA_RESTART: calls see EINTR */
}

static double secs_since(const volatile struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - t->tv_sec) + (now.tv_nsec - t->tv_nsec) * 1e-9;
}

static void sleep_ms(long ms)
{
	struct timespec t = {ms / 1000, (ms % 1000) * 1000000};

	nanosleep(&t, NULL);
}

/* Append a /proc/self/task/TID/NAME file, indented, to @buf. */
static void append_proc(char *buf, size_t len, int tid, const char *name)
{
	char path[64], line[256];
	size_t used = strlen(buf);
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/%s", tid, name);
	f = fopen(path, "re");
	if (!f) {
		snprintf(buf + used, len - used, "  %s: unreadable (%s)\n",
			 name, strerror(errno));
		return;
	}
	while (fgets(line, sizeof(line), f) && used + 1 < len) {
		snprintf(buf + used, len - used, "  %s", line);
		used = strlen(buf);
	}
	if (used && buf[used - 1] != '\n' && used + 1 < len)
		strcat(buf, "\n");
	fclose(f);
}

/* Task state letter (R, S, D, ...) from /proc/self/task/TID/stat. */
static char task_state(int tid)
{
	char path[64], stat[512], *paren;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
	f = fopen(path, "re");
	if (!f)
		return '?';
	stat[0] = '\0';
	if (!fgets(stat, sizeof(stat), f))
		stat[0] = '\0';
	fclose(f);
	paren = strrchr(stat, ')');
	return paren && paren[1] == ' ' ? paren[2] : '?';
}

static void describe(struct pr_watchdog *wd, int stuck, double waited)
{
	struct pr_result *r = wd->res;
	struct pr_worker *w = &wd->w[stuck];
	size_t used;

	snprintf(r->hang_op, sizeof(r->hang_op), "%s(off=%llu, len=%llu)",
		 w->op ? w->op : "?", (unsigned long long)w->off,
		 (unsigned long long)w->len);
	r->hang_wait = (int)waited;
	snprintf(r->stack, sizeof(r->stack),
		 "thread %s (tid %d), state %c, in %s for %.0f s\n  wchan: ",
		 w->name, w->tid, task_state(w->tid), r->hang_op, waited);
	append_proc(r->stack, sizeof(r->stack), w->tid, "wchan");
	append_proc(r->stack, sizeof(r->stack), w->tid, "stack");
	for (int i = 0; i < wd->nw; i++) {
		if (i == stuck)
			continue;
		used = strlen(r->stack);
		snprintf(
			r->stack + used, sizeof(r->stack) - used,
			"other thread %s (tid %d), state %c: %s, %llu calls done\n",
			wd->w[i].name, wd->w[i].tid, task_state(wd->w[i].tid),
			wd->w[i].op ? wd->w[i].op : "idle",
			(unsigned long long)wd->w[i].progress);
	}
}

/* Wait up to @ms for the stuck call to return. */
static int returned(struct pr_watchdog *wd, int stuck, uint64_t progress,
		    long ms)
{
	for (long t = 0; t < ms; t += 50) {
		if (wd->w[stuck].progress != progress || !wd->w[stuck].op)
			return 1;
		sleep_ms(50);
	}
	return 0;
}

static void signal_thread(void *arg)
{
	struct pr_watchdog *wd = arg;

	for (int i = 0; i < wd->nw; i++)
		if (wd->w[i].op)
			pthread_kill(wd->threads[i], WD_SIGNAL);
}

static void release(struct pr_watchdog *wd, int stuck, int bound)
{
	struct {
		const char *name;
		void (*fn)(void *);
		void *arg;
	} steps[] = {
		{"stop traffic", NULL, NULL},
		{"unmap", wd->unmap, wd->arg},
		{"deregister MRs", wd->deregister, wd->arg},
		{"signal", signal_thread, wd},
	};
	uint64_t progress = wd->w[stuck].progress;
	long wait_ms = bound * 1000L / 4 + 1000;

	atomic_store(wd->stop, 1);
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		if (i && !steps[i].fn)
			continue;
		if (steps[i].fn)
			steps[i].fn(steps[i].arg);
		if (returned(wd, stuck, progress, wait_ms)) {
			snprintf(wd->res->hang_release,
				 sizeof(wd->res->hang_release), "%s",
				 steps[i].name);
			return;
		}
	}
	snprintf(wd->res->hang_release, sizeof(wd->res->hang_release), "none");
}

/*
 * Waits that end only when the pages' extra references drop: a DAX layout
 * break waits for every pin on the range (fs/dax.c, the filesystems'
 * break_layouts).  Asleep there with all traffic stopped, nothing the
 * case does will wake the call, so the shorter bound applies.
 */
static const char *const pin_waits[] = {
	"xfs_break_dax_layouts",
	"xfs_wait_dax_page",
	"ext4_break_layouts",
	"ext4_wait_dax_page",
	"dax_break_layout",
	"fuse_wait_dax_page",
	NULL,
};

static int in_pin_wait(int tid)
{
	char path[64], wchan[128] = "";
	FILE *f;
	char st = task_state(tid);

	if (st != 'S' && st != 'D')
		return 0;
	snprintf(path, sizeof(path), "/proc/self/task/%d/wchan", tid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	if (!fgets(wchan, sizeof(wchan), f))
		wchan[0] = '\0';
	fclose(f);
	for (int i = 0; pin_waits[i]; i++)
		if (!strcmp(wchan, pin_waits[i]))
			return 1;
	return 0;
}

static int find_stuck(struct pr_watchdog *wd, double *waited, int *bound_used)
{
	for (int i = 0; i < wd->nw; i++) {
		struct pr_worker *w = &wd->w[i];
		int bound = wd->bound;
		double t;

		if (!w->op)
			continue;
		t = secs_since(&w->since);
		if (wd->pin_bound && wd->pin_bound < bound &&
		    t > wd->pin_bound && in_pin_wait(w->tid))
			bound = wd->pin_bound;
		/* traffic stops at the deadline: count from then on */
		if (t > bound && secs_since(&wd->stopped) > bound) {
			*waited = t;
			*bound_used = bound;
			return i;
		}
	}
	return -1;
}

static void *watch(void *arg)
{
	struct pr_watchdog *wd = arg;
	int seen_stop = 0, stuck, bound = 0;
	double waited;

	while (!atomic_load(&wd->quit)) {
		sleep_ms(250);
		if (!seen_stop && atomic_load(wd->stop)) {
			clock_gettime(CLOCK_MONOTONIC, &wd->stopped);
			seen_stop = 1;
		}
		if (!seen_stop)
			continue;
		stuck = find_stuck(wd, &waited, &bound);
		if (stuck < 0)
			continue;
		describe(wd, stuck, waited);
		pr_fail(wd->res, PR_F_HANG, "%s did not return for %.0f s",
			wd->res->hang_op, waited);
		if (bound < wd->bound)
			pr_note(wd->res,
				"asleep in a wait only dropping pins ends, with all traffic stopped for %d s",
				bound);
		release(wd, stuck, bound);
		pr_note(wd->res, "released by: %s", wd->res->hang_release);
		break;
	}
	return NULL;
}

int pr_watchdog_start(struct pr_watchdog *wd)
{
	atomic_store(&wd->quit, 0);
	return -pthread_create(&wd->thread, NULL, watch, wd);
}

void pr_watchdog_stop(struct pr_watchdog *wd)
{
	atomic_store(&wd->quit, 1);
	pthread_join(wd->thread, NULL);
}

int pr_watchdog_unreleased(const struct pr_watchdog *wd)
{
	return !strcmp(wd->res->hang_release, "none");
}
