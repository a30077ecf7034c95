// SPDX-License-Identifier: GPL-2.0
/*
 * The run-time choice of the block checksum: $PINRACE_CSUM, else the
 * fastest measured here over the block size in use.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if defined(__x86_64__) || defined(__i386__)
#include <emmintrin.h>
#endif

#include "csum.h"

/*
 * Every algorithm over the same SEL_BUF bytes, in calls of the block's
 * data length, the way the verifier meets blocks: in memory, not in cache
 * (a device or another process wrote them), walked forward with
 * prefetches SEL_AHEAD bytes ahead (verify.c's prefetch_ahead()).  The
 * ranking differs: here the crc32 streams keep up with folding and XXH3 in
 * cache, but fall behind both from memory.  So each pass first flushes
 * the buffer from the caches, untimed.  One untimed pass of each algorithm
 * warms the code, the page tables and the clock.  Then
 * SEL_PASSES rounds in which the algorithms take turns, each round
 * starting one further along, so that a busy moment of a shared machine
 * may fall on any of them.  Load only ever slows a pass down, and on a
 * shared machine it came in bursts that spoiled the median pass too
 * (picks at 0.82 of the fastest): the second-fastest pass of each
 * decides, the least disturbed but one, so that no single odd pass can.
 * After
 * SEL_EARLY rounds, an algorithm whose fastest pass took SEL_SLOW times
 * the fastest of all (crc32 under TCG) is settled without more: a best
 * that slow is no accident.  And when the slowest pass of one algorithm
 * beat the fastest of every other, no more rounds can change the
 * verdict: the choice is made (an
 * emulated CPU, where passes are long and the gaps wide).
 */
#define SEL_BUF (2u << 20)
#define SEL_AHEAD (4 * 4096)
#define SEL_PASSES 7
#define SEL_EARLY 3
#define SEL_SLOW 3
#define SEL_DEFAULT_LEN 4032 /* the data part of a 4 KiB block */

static int csum_chosen; /* enum pr_csum_alg, 0 until selected */
/* What the measurement behind the choice saw (GB/s per algorithm). */
static double chosen_gbps[PR_CSUM_NALG];

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + ts.tv_nsec;
}

void pr_flush_caches(const void *p, size_t len)
{
#if defined(__x86_64__) || defined(__i386__)
	for (size_t off = 0; off < len; off += 64)
		_mm_clflush((const char *)p + off);
	_mm_mfence();
#else
	(void)p;
	(void)len;
#endif
}

static uint64_t time_pass(enum pr_csum_alg alg, const unsigned char *buf,
			  size_t chunk)
{
	volatile uint64_t sink = 0;
	uint64_t t0;

	pr_flush_caches(buf, SEL_BUF);
	t0 = now_ns();
	for (size_t off = 0; off + chunk <= SEL_BUF; off += chunk) {
		for (size_t i = 0; off + SEL_AHEAD + i < SEL_BUF && i < chunk;
		     i += 64)
			__builtin_prefetch(buf + off + SEL_AHEAD + i);
		sink += pr_csum(alg, buf + off, chunk);
	}
	(void)sink;
	return now_ns() - t0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The passes of one measurement, per algorithm. */
struct passes {
	uint64_t t[PR_CSUM_NALG][SEL_PASSES];
	int runs[PR_CSUM_NALG];
	int live[PR_CSUM_NALG]; /* still timed */
};

static uint64_t fastest_pass(const struct passes *p, int a)
{
	uint64_t best = UINT64_MAX;

	for (int i = 0; i < p->runs[a]; i++)
		if (p->t[a][i] < best)
			best = p->t[a][i];
	return best;
}

static uint64_t slowest_pass(const struct passes *p, int a)
{
	uint64_t worst = 0;

	for (int i = 0; i < p->runs[a]; i++)
		if (p->t[a][i] > worst)
			worst = p->t[a][i];
	return worst;
}

/* 1 when one live algorithm's every pass beat every other's. */
static int clear_winner(const struct passes *p)
{
	int w = PR_CSUM_NONE;

	for (int a = PR_CSUM_NONE + 1; a < PR_CSUM_NALG; a++)
		if (p->live[a] &&
		    (!w || slowest_pass(p, a) < slowest_pass(p, w)))
			w = a;
	for (int a = PR_CSUM_NONE + 1; a < PR_CSUM_NALG; a++)
		if (p->live[a] && a != w &&
		    fastest_pass(p, a) <= slowest_pass(p, w))
			return 0;
	return 1;
}

static void settle_slow(struct passes *p)
{
	uint64_t best = UINT64_MAX;

	for (int a = PR_CSUM_NONE + 1; a < PR_CSUM_NALG; a++)
		if (p->live[a] && fastest_pass(p, a) < best)
			best = fastest_pass(p, a);
	for (int a = PR_CSUM_NONE + 1; a < PR_CSUM_NALG; a++)
		if (p->live[a] && fastest_pass(p, a) / SEL_SLOW > best)
			p->live[a] = 0;
}

int pr_csum_measure(size_t len, double gbps[PR_CSUM_NALG])
{
	const int nalg = PR_CSUM_NALG - 1;
	size_t chunk = len < 8 || len > SEL_BUF ? SEL_DEFAULT_LEN : len;
	unsigned char *buf = malloc(SEL_BUF);
	struct passes p = {0};
	uint64_t est[PR_CSUM_NALG] = {0};
	int pick = PR_CSUM_NONE;

	if (!buf)
		return PR_CSUM_XXH3;
	for (size_t i = 0; i < SEL_BUF / 8; i++)
		((uint64_t *)buf)[i] = i * 0x9e3779b97f4a7c15ull;
	for (int a = PR_CSUM_NONE + 1; a < PR_CSUM_NALG; a++)
		if ((p.live[a] = pr_csum_available(a)))
			time_pass(a, buf, chunk); /* warm-up */
	for (int pass = 0; pass < SEL_PASSES; pass++) {
		for (int i = 0; i < nalg; i++) {
			int a = PR_CSUM_NONE + 1 + (pass + i) % nalg;

			if (p.live[a])
				p.t[a][p.runs[a]++] = time_pass(a, buf, chunk);
		}
		if (pass + 1 == SEL_EARLY)
			settle_slow(&p);
		if (pass + 1 >= SEL_EARLY && clear_winner(&p))
			break;
	}
	for (int a = PR_CSUM_NONE + 1; a < PR_CSUM_NALG; a++) {
		if (!p.runs[a])
			continue;
		qsort(p.t[a], p.runs[a], sizeof(p.t[a][0]), cmp_u64);
		est[a] = p.t[a][p.runs[a] > 1];
		if (p.live[a] && (!pick || est[a] < est[pick]))
			pick = a;
	}
	for (int a = 0; gbps && a < PR_CSUM_NALG; a++)
		gbps[a] =
			est[a] ? (double)(SEL_BUF / chunk * chunk) / est[a] : 0;
	free(buf);
	return pick ? pick : PR_CSUM_XXH3;
}

static enum pr_csum_alg from_env(void)
{
	const char *name = getenv("PINRACE_CSUM");
	int a;

	if (!name || !*name)
		return PR_CSUM_NONE;
	a = pr_csum_from_name(name);
	if (a < 0) {
		fprintf(stderr,
			"pinrace: PINRACE_CSUM=%s: unknown, measuring\n", name);
		return PR_CSUM_NONE;
	}
	if (!pr_csum_available(a)) {
		fprintf(stderr,
			"pinrace: PINRACE_CSUM=%s: unavailable, measuring\n",
			name);
		return PR_CSUM_NONE;
	}
	return a;
}

enum pr_csum_alg pr_csum_select_len(size_t len)
{
	int cur = __atomic_load_n(&csum_chosen, __ATOMIC_ACQUIRE);
	double gbps[PR_CSUM_NALG] = {0};
	int pick;

	if (cur)
		return cur;
	pick = from_env();
	if (!pick)
		pick = pr_csum_measure(len, gbps);
	/* Two threads may race here; the first choice stays. */
	if (!__atomic_compare_exchange_n(&csum_chosen, &cur, pick, 0,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		return cur;
	memcpy(chosen_gbps, gbps, sizeof(gbps));
	return pick;
}

enum pr_csum_alg pr_csum_select(void)
{
	return pr_csum_select_len(SEL_DEFAULT_LEN);
}

enum pr_csum_alg pr_csum_current(void)
{
	int cur = __atomic_load_n(&csum_chosen, __ATOMIC_ACQUIRE);

	return cur ? (enum pr_csum_alg)cur : pr_csum_select();
}

int pr_csum_choice_speeds(double gbps[PR_CSUM_NALG])
{
	int measured = 0;

	pr_csum_current();
	for (int a = 0; a < PR_CSUM_NALG; a++)
		if ((gbps[a] = chosen_gbps[a]) > 0)
			measured = 1;
	return measured;
}
