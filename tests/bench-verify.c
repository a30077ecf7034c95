// SPDX-License-Identifier: GPL-2.0
/*
 * How fast is verification next to memcpy?  Stamps a buffer (64 MiB, or
 * argv[1] MiB) in 4 KiB blocks for every checksum algorithm this CPU can
 * run and times pr_verify_range() over each against copying it; says which
 * was fastest and what the run-time choice picked, with the speeds the
 * choice was made on ("select GB/s", lib/blocks/csum-select.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "block.h"
#include "csum.h"
#include "verify.h"

#define BS 4096
#define RUNS 9 /* best of: a shared machine spoils some */

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

static void stamp_all(unsigned char *buf, size_t len, enum pr_csum_alg alg)
{
	struct pr_stamp s = stamp;

	for (size_t off = 0; off < len; off += BS) {
		s.offset = off;
		pr_blk_fill_alg(buf + off, BS, &s, alg);
	}
}

static double secs_memcpy(void *dst, const void *src, size_t len)
{
	double t = now();

	memcpy(dst, src, len);
	return now() - t;
}

/* Seconds for one verification, or -1 when a block fails. */
static double secs_verify(const void *buf, size_t len)
{
	const struct pr_expect e = {
		.file_id = stamp.file_id,
		.gen = stamp.gen,
		.offset = stamp.offset,
		.seed = stamp.seed,
	};
	struct pr_vreport rep;
	double t;

	pr_vreport_init(&rep);
	t = now();
	if (pr_verify_range(buf, len, BS, &e, "bench", NULL, NULL, &rep))
		return -1;
	return now() - t;
}

/*
 * Best of RUNS, after a warm-up, for copying and for verifying each
 * algorithm's buffer: one copy, then each verification, in turns, so that
 * all see the same machine when it is shared, and each gets as many tries.
 * @t[alg] stays 0 for those this CPU cannot run, -1 when a block failed.
 */
static void best_all(unsigned char *const bufs[PR_CSUM_NALG], void *dst,
		     size_t len, double t[PR_CSUM_NALG], double *t_copy)
{
	for (int i = 0; i <= RUNS; i++) {
		double tc = secs_memcpy(dst, bufs[PR_CSUM_XXH64], len);

		if (i && tc < *t_copy)
			*t_copy = tc;
		for (int a = PR_CSUM_NONE + 1; a < PR_CSUM_NALG; a++) {
			double tv;

			if (!bufs[a] || t[a] < 0)
				continue;
			tv = secs_verify(bufs[a], len);
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
	enum pr_csum_alg sel = pr_csum_select_len(BS - PR_BLK_HDR_LEN);
	unsigned char *bufs[PR_CSUM_NALG] = {0}, *dst = alloc_touched(len);
	double t_copy = 1e9, t_alg[PR_CSUM_NALG] = {0};
	int fastest = PR_CSUM_NONE, rc = 1;

	pr_csum_choice_speeds(sel_gbps);
	for (int a = PR_CSUM_NONE + 1; a < PR_CSUM_NALG; a++) {
		if (!pr_csum_available(a))
			continue;
		bufs[a] = alloc_touched(len);
		if (!bufs[a] || !dst) {
			fprintf(stderr,
				"bench-verify: cannot allocate %zu MiB\n",
				len >> 20);
			goto out;
		}
		stamp_all(bufs[a], len, a);
	}
	best_all(bufs, dst, len, t_alg, &t_copy);
	printf("# %zu MiB, %d-byte blocks, best of %d; selected %s\n",
	       len >> 20, BS, RUNS, pr_csum_name(sel));
	printf("%-10s %8s %10s %14s\n", "alg", "GB/s", "x memcpy",
	       "select GB/s");
	printf("%-10s %8.2f %10.2f\n", "memcpy", len / t_copy / 1e9, 1.0);
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
	rc = t_alg[sel] > 0 ? 0 : 1;
out:
	for (int a = 0; a < PR_CSUM_NALG; a++)
		free(bufs[a]);
	free(dst);
	return rc;
}
