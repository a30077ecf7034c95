// SPDX-License-Identifier: GPL-2.0
/* The race engine: see racecore.h. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <infiniband/verbs.h>

#include "racecore.h"
#include "watchdog.h"
#include "wdjoin.h"

void pr_worker_enter(struct pr_worker *w, const char *op, uint64_t off,
		     uint64_t len)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	w->off = off;
	w->len = len;
	w->since = now;
	w->op = op;
}

void pr_worker_leave(struct pr_worker *w)
{
	w->op = NULL;
	w->progress++;
}

void pr_core_init(struct pr_race_core *k, struct pr_ctx *ctx,
		  struct pr_result *res)
{
	memset(k, 0, sizeof(*k));
	k->ctx = ctx;
	k->res = res;
	pthread_mutex_init(&k->lock, NULL);
}

int pr_core_expired(struct pr_race_core *k)
{
	return atomic_load(&k->stop);
}

void pr_core_fail(struct pr_race_core *k, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&k->lock);
	if (!k->error[0]) {
		va_start(ap, fmt);
		vsnprintf(k->error, sizeof(k->error), fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&k->lock);
	atomic_store(&k->stop, 1);
}

void pr_core_sleep_us(long us)
{
	struct timespec t = {us / 1000000, us % 1000000 * 1000};

	nanosleep(&t, NULL);
}

static __thread sigjmp_buf *fault_jmp;

static void on_fault(int sig)
{
	(void)sig;
	if (fault_jmp)
		siglongjmp(*fault_jmp, 1);
	abort();
}

int pr_core_copy(void *dst, void *src, size_t len, size_t step)
{
	volatile unsigned char *p = src;
	sigjmp_buf jb;
	volatile int rc = 0;

	fault_jmp = &jb;
	if (sigsetjmp(jb, 1))
		rc = -EFAULT;
	else if (dst)
		memcpy(dst, src, len);
	else
		for (size_t o = 0; o < len; o += step)
			p[o] = p[o];
	fault_jmp = NULL;
	return rc;
}

/* Each worker publishes its thread id for the watchdog's stack dumps. */
struct start {
	struct pr_race_core *k;
	int i;
};

static void *worker(void *arg)
{
	struct start *s = arg;

	s->k->w[s->i].tid = syscall(SYS_gettid);
	return s->k->fn[s->i](s->k->arg);
}

/* Release steps for the watchdog. */
static void release_map(void *arg)
{
	struct pr_race_core *k = arg;

	if (*k->map && !munmap(*k->map, k->map_len))
		*k->map = NULL;
}

static void release_mr(void *arg)
{
	struct pr_race_core *k = arg;
	struct ibv_mr *mr = *k->mr;

	*k->mr = NULL;
	if (mr)
		ibv_dereg_mr(mr);
}

static int past(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > t->tv_sec ||
	       (now.tv_sec == t->tv_sec && now.tv_nsec >= t->tv_nsec);
}

static void wait_deadline(struct pr_race_core *k)
{
	int stretched = 0;

	while (!atomic_load(&k->stop)) {
		if (past(&k->deadline)) {
			if (!k->stretch || k->res->ops ||
			    stretched >= 9 * k->ctx->prof.duration)
				break;
			k->deadline.tv_sec++;
			stretched++;
		}
		pr_core_sleep_us(50 * 1000);
	}
}

void pr_core_run(struct pr_race_core *k)
{
	struct start st[PR_CORE_MAXW];
	pthread_t t[PR_CORE_MAXW];
	int started = 0;
	struct pr_watchdog wd = {.w = k->w,
				 .threads = t,
				 .bound = k->ctx->prof.hang_bound,
				 .pin_bound = k->ctx->prof.pin_wait_bound,
				 .stop = &k->stop,
				 .unmap = k->map ? release_map : NULL,
				 .deregister = k->mr ? release_mr : NULL,
				 .arg = k,
				 .res = k->res};

	clock_gettime(CLOCK_MONOTONIC, &k->deadline);
	k->deadline.tv_sec += k->ctx->prof.duration;
	signal(SIGBUS, on_fault);
	signal(SIGSEGV, on_fault); /* the watchdog may unmap under a read */
	pr_watchdog_signal_setup();
	for (; started < k->nw; started++) {
		k->w[started].name = k->names[started];
		st[started] = (struct start){k, started};
		if (pthread_create(&t[started], NULL, worker, &st[started]))
			break;
	}
	if (started < k->nw)
		pr_core_fail(k, "pthread_create: %s", strerror(errno));
	wd.nw = started;
	if (pr_watchdog_start(&wd))
		pr_core_fail(k, "starting the watchdog failed");
	wait_deadline(k);
	atomic_store(&k->stop, 1); /* traffic stops: the watchdog counts */
	k->abandoned = pr_join_watched(t, started, &wd);
	pr_watchdog_stop(&wd);
}

enum pr_core_end pr_core_end(struct pr_race_core *k, const char *op)
{
	struct pr_result *res = k->res;

	if (res->finding == PR_F_HANG) {
		if (!k->abandoned)
			return PR_CORE_DONE; /* data after a forced release
					      * says nothing */
		pr_error(
			res, 0,
			"a stuck call could not be released: the process is abandoned");
		return PR_CORE_ABANDONED;
	}
	if (k->skip_errno) {
		pr_skip(res, "%s not supported on %s (%s)", op, res->fs,
			strerrorname_np(k->skip_errno));
		return PR_CORE_DONE;
	}
	if (k->error[0]) {
		pr_error(res, 0, "%s", k->error);
		return PR_CORE_DONE;
	}
	return PR_CORE_GO;
}

void pr_core_conclude(struct pr_race_core *k, const char *why)
{
	struct pr_result *res = k->res;

	if (k->error[0] && res->status != PR_ERROR)
		pr_error(res, 0, "%s", k->error);
	if (res->status != PR_PASS)
		return;
	if (!res->ev.strict) {
		pr_core_inconclusive(res, "no block was judged strictly (%s)",
				     why);
		return;
	}
	pr_note(res, "%llu of %llu blocks judged strictly",
		(unsigned long long)res->ev.strict,
		(unsigned long long)res->vr.nblocks);
}

void pr_core_inconclusive(struct pr_result *res, const char *fmt, ...)
{
	char said[sizeof(res->detail)];
	va_list ap;
	size_t n;

	/* the reason first, then what the case noted before */
	memcpy(said, res->detail, sizeof(said));
	n = snprintf(res->detail, sizeof(res->detail), "inconclusive: ");
	va_start(ap, fmt);
	vsnprintf(res->detail + n, sizeof(res->detail) - n, fmt, ap);
	va_end(ap);
	res->status = PR_SKIP;
	if (said[0])
		pr_note(res, "%s", said);
}
