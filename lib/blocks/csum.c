// SPDX-License-Identifier: GPL-2.0
/*
 * Block checksums: CRC32C by the SSE4.2 instruction and by carry-less
 * folding beside it (csum-crc32c-x86.c) and from tables (all the same
 * values), and XXH3 and XXH64 from libxxhash.  pr_csum_select() measures which
 * is fastest here, because an emulated CPU turns the ranking upside down.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <xxhash.h>
#if defined(__x86_64__) || defined(__i386__)
/* XXH3_64bits becomes the libxxhash entry that picks SSE2/AVX2/AVX-512. */
#include <xxh_x86dispatch.h>
#define PR_HAVE_X86 1
#endif

#include "csum.h"
#include "csum-crc32c.h"

/* Slicing-by-8 tables: crc_tab[k][b] is byte b followed by k zero bytes. */
static uint32_t crc_tab[8][256];

static const char *const csum_names[PR_CSUM_NALG] = {
	[PR_CSUM_NONE] = "none",
	[PR_CSUM_CRC32C_HW] = "crc32c-hw",
	[PR_CSUM_CRC32C_SW] = "crc32c-sw",
	[PR_CSUM_XXH3] = "xxh3",
	[PR_CSUM_XXH64] = "xxh64",
	[PR_CSUM_CRC32C_FOLD] = "crc32c-fold",
};

static int csum_chosen; /* enum pr_csum_alg, 0 until selected */

static void crc_tab_init(void)
{
	for (unsigned int b = 0; b < 256; b++) {
		uint32_t c = b;

		for (int i = 0; i < 8; i++)
			c = (c >> 1) ^ (CRC32C_POLY & -(c & 1));
		crc_tab[0][b] = c;
	}
	for (int k = 1; k < 8; k++)
		for (int b = 0; b < 256; b++)
			crc_tab[k][b] = (crc_tab[k - 1][b] >> 8) ^
					crc_tab[0][crc_tab[k - 1][b] & 0xff];
}

__attribute__((constructor)) static void csum_init(void)
{
	crc_tab_init();
}

static inline uint64_t load64(const unsigned char *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static uint32_t crc_sw_raw(uint32_t crc, const unsigned char *p, size_t n)
{
	for (; n >= 8; n -= 8, p += 8) {
		uint64_t w = load64(p) ^ crc;

		crc = crc_tab[7][w & 0xff] ^ crc_tab[6][(w >> 8) & 0xff] ^
		      crc_tab[5][(w >> 16) & 0xff] ^
		      crc_tab[4][(w >> 24) & 0xff] ^
		      crc_tab[3][(w >> 32) & 0xff] ^
		      crc_tab[2][(w >> 40) & 0xff] ^
		      crc_tab[1][(w >> 48) & 0xff] ^ crc_tab[0][w >> 56];
	}
	while (n--)
		crc = (crc >> 8) ^ crc_tab[0][(crc ^ *p++) & 0xff];
	return crc;
}

static uint64_t crc32c_sw(const void *buf, size_t len)
{
	return ~crc_sw_raw(~0u, buf, len);
}

#ifdef __x86_64__ /* csum-crc32c-x86.c */
static int have_sse42(void)
{
	return __builtin_cpu_supports("sse4.2");
}

static uint64_t crc32c_hw(const void *buf, size_t len)
{
	return ~pr_crc32c_hw_raw(~0u, buf, len);
}
#else
static int have_sse42(void)
{
	return 0;
}

static uint64_t crc32c_hw(const void *buf, size_t len)
{
	return crc32c_sw(buf, len);
}
#endif

int pr_csum_available(enum pr_csum_alg alg)
{
	switch (alg) {
	case PR_CSUM_CRC32C_HW:
		return have_sse42();
	case PR_CSUM_CRC32C_FOLD:
		return pr_crc32c_fold_available();
	case PR_CSUM_CRC32C_SW:
	case PR_CSUM_XXH3:
	case PR_CSUM_XXH64:
		return 1;
	default:
		return 0;
	}
}

/*
 * Any CRC32C block stays verifiable where its implementation cannot run:
 * the others give the same values.  Unknown algorithms checksum to 0.
 */
uint64_t pr_csum(enum pr_csum_alg alg, const void *buf, size_t len)
{
	switch (alg) {
	case PR_CSUM_CRC32C_FOLD:
		if (pr_crc32c_fold_available())
			return ~pr_crc32c_fold_raw(~0u, buf, len);
		/* fall through */
	case PR_CSUM_CRC32C_HW:
		return have_sse42() ? crc32c_hw(buf, len) : crc32c_sw(buf, len);
	case PR_CSUM_CRC32C_SW:
		return crc32c_sw(buf, len);
	case PR_CSUM_XXH3:
		return XXH3_64bits(buf, len);
	case PR_CSUM_XXH64:
		return XXH64(buf, len, 0);
	default:
		return 0;
	}
}

const char *pr_csum_name(enum pr_csum_alg alg)
{
	if ((unsigned int)alg >= PR_CSUM_NALG)
		return "unknown";
	return csum_names[alg];
}

int pr_csum_from_name(const char *name)
{
	if (!name)
		return -1;
	for (int a = PR_CSUM_NONE + 1; a < PR_CSUM_NALG; a++)
		if (!strcmp(name, csum_names[a]))
			return a;
	return -1;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + ts.tv_nsec;
}

/*
 * The choice: every algorithm over the same SEL_BUF bytes (more than a
 * core's L2, as the buffers verified are), in calls of the block's data
 * length, SEL_PASSES times, the algorithms taking turns so that a busy
 * moment of a shared machine falls on all of them; the median pass of
 * each decides.  One pass of an algorithm SEL_SLOW times slower than the
 * best first pass (crc32 under TCG) settles it without more.
 */
#define SEL_BUF (2u << 20)
#define SEL_PASSES 5
#define SEL_SLOW 3
#define SEL_DEFAULT_LEN 4032 /* the data part of a 4 KiB block */

static uint64_t time_pass(enum pr_csum_alg alg, const unsigned char *buf,
			  size_t chunk)
{
	volatile uint64_t sink = 0;
	uint64_t t0 = now_ns();

	for (size_t off = 0; off + chunk <= SEL_BUF; off += chunk)
		sink += pr_csum(alg, buf + off, chunk);
	(void)sink;
	return now_ns() - t0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int pr_csum_measure(size_t len, double gbps[PR_CSUM_NALG])
{
	uint64_t t[PR_CSUM_NALG][SEL_PASSES], med[PR_CSUM_NALG],
		first = UINT64_MAX;
	size_t chunk = len < 8 || len > SEL_BUF ? SEL_DEFAULT_LEN : len;
	unsigned char *buf = malloc(SEL_BUF);
	int pick = PR_CSUM_NONE, runs[PR_CSUM_NALG] = {0};

	if (!buf)
		return PR_CSUM_XXH3;
	for (size_t i = 0; i < SEL_BUF / 8; i++)
		((uint64_t *)buf)[i] = i * 0x9e3779b97f4a7c15ull;
	for (int pass = 0; pass < SEL_PASSES; pass++) {
		for (int a = PR_CSUM_NONE + 1; a < PR_CSUM_NALG; a++) {
			if (!pr_csum_available(a) || (pass && runs[a] < pass))
				continue;
			t[a][runs[a]++] = time_pass(a, buf, chunk);
			if (!pass && t[a][0] < first)
				first = t[a][0];
		}
		for (int a = PR_CSUM_NONE + 1; !pass && a < PR_CSUM_NALG; a++)
			if (runs[a] && t[a][0] > SEL_SLOW * first)
				runs[a] = -1; /* settled: far behind */
	}
	for (int a = PR_CSUM_NONE + 1; a < PR_CSUM_NALG; a++) {
		med[a] = 0;
		if (runs[a] > 0) {
			qsort(t[a], runs[a], sizeof(t[a][0]), cmp_u64);
			med[a] = t[a][runs[a] / 2];
			if (!pick || med[a] < med[pick])
				pick = a;
		} else if (runs[a] < 0) {
			med[a] = t[a][0];
		}
	}
	for (int a = 0; gbps && a < PR_CSUM_NALG; a++)
		gbps[a] = a && med[a]
				  ? (double)(SEL_BUF / chunk * chunk) / med[a]
				  : 0;
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
	int pick;

	if (cur)
		return cur;
	pick = from_env();
	if (!pick)
		pick = pr_csum_measure(len, NULL);
	/* Two threads may race here; the first choice stays. */
	if (!__atomic_compare_exchange_n(&csum_chosen, &cur, pick, 0,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		return cur;
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
