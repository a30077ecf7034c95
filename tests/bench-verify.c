// SPDX-License-Identifier: GPL-2.0
/*
 * How fast is verification next to memcpy?  Stamps a buffer (64 MiB, or
 * argv[1] MiB) in 4 KiB blocks and times pr_verify_range() over it for
 * every checksum algorithm this CPU can run, against copying the buffer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "block.h"
#include "csum.h"
#include "verify.h"

#define BS 4096
#define RUNS 5

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
 * Best of RUNS, after a warm-up, for verifying @buf (stamped with one
 * algorithm) and for copying it: the copies are interleaved with the
 * verifications so both see the same machine when it is shared.
 */
static double best_verify(void *dst, const void *buf, size_t len,
			  double *best_copy)
{
	double best = 1e9;

	for (int i = 0; i <= RUNS; i++) {
		double tc = secs_memcpy(dst, buf, len);
		double tv = secs_verify(buf, len);

		if (tv < 0)
			return -1;
		if (i && tc < *best_copy)
			*best_copy = tc;
		if (i && tv < best)
			best = tv;
	}
	return best;
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
	enum pr_csum_alg sel = pr_csum_select();
	unsigned char *buf = alloc_touched(len), *dst = alloc_touched(len);
	double t_copy = 1e9, t_alg[PR_CSUM_NALG] = {0};

	if (!buf || !dst) {
		fprintf(stderr, "bench-verify: cannot allocate 2 x %zu MiB\n",
			len >> 20);
		return 1;
	}
	for (int a = PR_CSUM_NONE + 1; a < PR_CSUM_NALG; a++) {
		if (!pr_csum_available(a))
			continue;
		stamp_all(buf, len, a);
		t_alg[a] = best_verify(dst, buf, len, &t_copy);
	}
	printf("# %zu MiB, %d-byte blocks, best of %d; selected %s\n",
	       len >> 20, BS, RUNS, pr_csum_name(sel));
	printf("%-10s %8s %10s\n", "alg", "GB/s", "x memcpy");
	printf("%-10s %8.2f %10.2f\n", "memcpy", len / t_copy / 1e9, 1.0);
	for (int a = PR_CSUM_NONE + 1; a < PR_CSUM_NALG; a++) {
		if (t_alg[a] < 0)
			printf("%-10s verification failed\n", pr_csum_name(a));
		else if (t_alg[a] > 0)
			printf("%-10s %8.2f %10.2f\n", pr_csum_name(a),
			       len / t_alg[a] / 1e9, t_copy / t_alg[a]);
	}
	printf("verify/memcpy ratio: %.2f (%s)\n",
	       t_alg[sel] > 0 ? t_copy / t_alg[sel] : 0.0, pr_csum_name(sel));
	free(buf);
	free(dst);
	return t_alg[sel] > 0 ? 0 : 1;
}
