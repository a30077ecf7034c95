// SPDX-License-Identifier: GPL-2.0
/*
 * Block checksums: CRC32C by the crc32 instruction, by carry-less folding
 * (both csum-crc32c-x86.c) and from tables (all the same values), and XXH3
 * and XXH64 from libxxhash.  Which one new blocks get is measured where the
 * suite runs (csum-select.c), because an emulated CPU turns the ranking
 * upside down.
 */
#include <string.h>

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
