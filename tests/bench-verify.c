// SPDX-License-Identifier: GPL-2.0
/*
 * How fast is verification next to memcpy?  One buffer (64 MiB, or
 * argv[1] MiB) of 4 KiB blocks, timed by pr_verify_range() once per
 * checksum algorithm this CPU can run, against copying it; says which was
 * fastest and what the run-time choice picked, with the speeds the choice
 * was made on ("select GB/s", lib/blocks/csum-select.c), and how fast the
 * same memory is merely read ("read-only": natively, the verifier's ceiling).
 *
 * Every algorithm is timed over the same memory: a block's data does not
 * depend on the algorithm, only its 64-byte header does, so each
 * algorithm's headers are kept aside and written over the buffer before
 * its pass.  (One buffer per algorithm measured the buffers: on a virtual
 * machine the host backs each differently, and the ranking followed the
 * allocation from run to run.)  Before every timed pass the buffer is
 * flushed from the caches, as a device or another process would leave it.
 * And the process stays on the CPU it started on: moved between the
 * virtual CPUs of a guest or a cloud machine mid-run, one algorithm's
 * passes measured another CPU's path to memory (10-20% apart here).
 */
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "block.h"
#include "csum.h"
#include "verify.h"

#define BS 4096
#define RUNS 25 /* best of: a shared machine spoils some */
/* After this many rounds an algorithm this many times slower than the
 * fastest keeps its best so far (crc32c-sw; everything but one under TCG) */
#define SLOW_AFTER 3
#define SLOW 3

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static const struct pr_stamp stamp = {
	.file_id = 1,
	.gen = 2,
	.offset = 0,
	.seed = 0x5eed,
	.writer = PR_W_PWRITE,
};

/* Stay on this CPU (where there is no affinity to set, as it is). */
static void stay_on_this_cpu(void)
{
	int cpu = sched_getcpu();
	cpu_set_t set;

	if (cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

/* Stamp @buf for @alg and keep its headers in @hdrs. */
static void stamp_all(unsigned char *buf, size_t len, enum pr_csum_alg alg,
		      unsigned char *hdrs)
{
	struct pr_stamp s = stamp;

	for (size_t off = 0; off < len; off += BS) {
		s.offset = off;
		pr_blk_fill_alg(buf + off, BS, &s, alg);
		memcpy(hdrs + off / BS * PR_BLK_HDR_LEN, buf + off,
		       PR_BLK_HDR_LEN);
	}
}

static void put_headers(unsigned char *buf, size_t len,
			const unsigned char *hdrs)
{
	for (size_t off = 0; off < len; off += BS)
		memcpy(buf + off, hdrs + off / BS * PR_BLK_HDR_LEN,
		       PR_BLK_HDR_LEN);
}

/*
 * Sum @len bytes as 64-byte words (AVX-512 where the CPU has it, else
 * what the compiler makes of them), in four independent chains.
 */
typedef uint64_t v8 __attribute__((vector_size(64)));
#if defined(__x86_64__)
#define WIDEST __attribute__((target_clones("avx512f", "default")))
#else
#define WIDEST
#endif
WIDEST static uint64_t read_all(const unsigned char *buf, size_t len)
{
	v8 s0 = {0}, s1 = {0}, s2 = {0}, s3 = {0};

	for (size_t off = 0; off + 256 <= len; off += 256) {
		s0 += *(const v8 *)(buf + off);
		s1 += *(const v8 *)(buf + off + 64);
		s2 += *(const v8 *)(buf + off + 128);
		s3 += *(const v8 *)(buf + off + 192);
	}
	s0 ^= s1 ^ s2 ^ s3;
	return s0[0] ^ s0[1] ^ s0[2] ^ s0[3] ^ s0[4] ^ s0[5] ^ s0[6] ^ s0[7];
}

/*
 * Seconds to read @len bytes and nothing more: natively about the most
 * any verifier could do over this memory, the ceiling its ratio to memcpy
 * is read against (the fastest of the ways tried: wide loads with the
 * hardware's own prefetching; not under TCG, where emulated vector adds
 * lose to scalar XXH64).
 */
static double secs_read(const unsigned char *buf, size_t len)
{
	volatile uint64_t sink;
	double t;

	pr_flush_caches(buf, len);
	t = now();
	sink = read_all(buf, len);
	t = now() - t;
	(void)sink;
	return t;
}

static double secs_memcpy(void *dst, const void *src, size_t len)
{
	double t;

	pr_flush_caches(src, len);
	pr_flush_caches(dst, len);
	t = now();
	memcpy(dst, src, len);
	return now() - t;
}

/* Seconds for one verification, or -1 when a block fails. */
static double secs_verify(unsigned char *buf, size_t len,
			  const unsigned char *hdrs)
{
	const struct pr_expect e = {
		.file_id = stamp.file_id,
		.gen = stamp.gen,
		.offset = stamp.offset,
		.seed = stamp.seed,
	};
	struct pr_vreport rep;
	double t;

	put_headers(buf, len, hdrs);
	pr_flush_caches(buf, len);
	pr_vreport_init(&rep);
	t = now();
	if (pr_verify_range(buf, len, BS, &e, "bench", NULL, NULL, &rep))
		return -1;
	return now() - t;
}

static double fastest_of(const double t[PR_CSUM_NALG])
{
	double best = 0;

	for (int a = PR_CSUM_NONE + 1; a < PR_CSUM_NALG; a++)
		if (t[a] > 0 && (!best || t[a] < best))
			best = t[a];
	return best;
}

/*
 * Best of RUNS, after a warm-up, for copying and for verifying with each
 * algorithm: one copy, then each verification, in turns starting one
 * further along each round, so that all see the same machine when it is
 * shared, and each gets as many tries.  @t[alg] stays 0 for those this
 * CPU cannot run, -1 when a block failed.
 */
static void best_all(unsigned char *buf, unsigned char *const hdrs[], void *dst,
		     size_t len, double t[PR_CSUM_NALG], double *t_copy,
		     double *t_read)
{
	const int nalg = PR_CSUM_NALG - 1;

	for (int i = 0; i <= RUNS; i++) {
		double tc = secs_memcpy(dst, buf, len);
		double tr = secs_read(buf, len);

		if (i && tc < *t_copy)
			*t_copy = tc;
		if (i && tr < *t_read)
			*t_read = tr;
		for (int j = 0; j < nalg; j++) {
			int a = PR_CSUM_NONE + 1 + (i + j) % nalg;
			double tv;

			if (!hdrs[a] || t[a] < 0 ||
			    (i > SLOW_AFTER && t[a] > SLOW * fastest_of(t)))
				continue;
			tv = secs_verify(buf, len, hdrs[a]);
			if (tv < 0)
				t[a] = -1;
			else if (i && (!t[a] || tv < t[a]))
				t[a] = tv;
		}
	}
}

static void *alloc_touched(size_t len)
{
	void *p = aligned_alloc(BS, len);

	if (p)
		memset(p, 0x5a, len);
	return p;
}

int main(int argc, char **argv)
{
	size_t mib = argc > 1 ? strtoul(argv[1], NULL, 0) : 64;
	size_t len = (mib ? mib : 64) << 20;
	double sel_gbps[PR_CSUM_NALG];
	enum pr_csum_alg sel;
	unsigned char *hdrs[PR_CSUM_NALG] = {0};
	unsigned char *buf = alloc_touched(len), *dst = alloc_touched(len);
	double t_copy = 1e9, t_read = 1e9, t_alg[PR_CSUM_NALG] = {0};
	int fastest = PR_CSUM_NONE, rc = 1;

	stay_on_this_cpu();
	sel = pr_csum_select_len(BS - PR_BLK_HDR_LEN);
	pr_csum_choice_speeds(sel_gbps);
	if (!buf || !dst) {
		fprintf(stderr, "bench-verify: cannot allocate %zu MiB\n",
			len >> 20);
		goto out;
	}
	for (int a = PR_CSUM_NONE + 1; a < PR_CSUM_NALG; a++) {
		if (!pr_csum_available(a))
			continue;
		hdrs[a] = malloc(len / BS * PR_BLK_HDR_LEN);
		if (!hdrs[a]) {
			fprintf(stderr, "bench-verify: out of memory\n");
			goto out;
		}
		stamp_all(buf, len, a, hdrs[a]);
	}
	best_all(buf, hdrs, dst, len, t_alg, &t_copy, &t_read);
	printf("# %zu MiB, %d-byte blocks, one buffer, flushed, CPU %d, best of "
	       "%d; selected %s\n",
	       len >> 20, BS, sched_getcpu(), RUNS, pr_csum_name(sel));
	printf("%-10s %8s %10s %14s\n", "alg", "GB/s", "x memcpy",
	       "select GB/s");
	printf("%-10s %8.2f %10.2f\n", "memcpy", len / t_copy / 1e9, 1.0);
	printf("%-10s %8.2f %10.2f\n", "read-only", len / t_read / 1e9,
	       t_copy / t_read);
	for (int a = PR_CSUM_NONE + 1; a < PR_CSUM_NALG; a++) {
		if (t_alg[a] < 0) {
			printf("%-10s verification failed\n", pr_csum_name(a));
			goto out;
		}
		if (!t_alg[a])
			continue;
		printf("%-10s %8.2f %10.2f %14.2f%s\n", pr_csum_name(a),
		       len / t_alg[a] / 1e9, t_copy / t_alg[a], sel_gbps[a],
		       a == (int)sel ? "  <- selected" : "");
		if (!fastest || t_alg[a] < t_alg[fastest])
			fastest = a;
	}
	printf("fastest: %s, selected %s at %.2f of its speed\n",
	       pr_csum_name(fastest), pr_csum_name(sel),
	       t_alg[sel] > 0 ? t_alg[fastest] / t_alg[sel] : 0.0);
	printf("verify/memcpy ratio: %.2f (%s)\n",
	       t_alg[sel] > 0 ? t_copy / t_alg[sel] : 0.0, pr_csum_name(sel));
	printf("read-only/memcpy ratio: %.2f\n", t_copy / t_read);
	printf("verify/read-only ratio: %.2f (%s)\n",
	       t_alg[sel] > 0 ? t_read / t_alg[sel] : 0.0, pr_csum_name(sel));
	rc = t_alg[sel] > 0 ? 0 : 1;
out:
	for (int a = 0; a < PR_CSUM_NALG; a++)
		free(hdrs[a]);
	free(buf);
	free(dst);
	return rc;
}
