// SPDX-License-Identifier: GPL-2.0
/*
 * CRC32C on x86: the crc32 instruction on several streams at once
 * (crc32c-hw), and carry-less folding of 64-byte AVX-512 registers
 * (VPCLMULQDQ, crc32c-fold).  Same values as the tables in csum.c.
 *
 * The message is a polynomial over GF(2), its first bit the highest power,
 * and its CRC is M(x) * x^32 mod P(x).  Two things follow.
 *
 * Streams: a CRC c of some bytes, followed by d more bytes, weighs
 * c * x^(8d) there.  So independent crc32 streams over consecutive lanes
 * join by multiplying each by x^(8d) mod P, d the bytes after its lane:
 * one carry-less product each, summed and reduced by one crc32.  The
 * instruction takes new operands every cycle but needs three for a
 * result, so one stream leaves it mostly idle.
 *
 * Folding: sixteen bytes A followed, d bytes later, by sixteen bytes B
 * weigh A * x^(8d) + B at B's place, and with A = H * x^64 + L (H its
 * first eight bytes)
 *
 *   A * x^(8d) == H * (x^(8d+64) mod P) + L * (x^(8d) mod P),
 *
 * two carry-less products of 64 by 32 bits that fit in B's 128: A is
 * folded onto B.  Four registers fold onto the next 256 bytes until the
 * data fits in one, whose lanes fold onto the last, which the crc32
 * instruction reduces to 32 bits.  (Both at once in one loop gained
 * nothing on Zen 5: there they share an execution unit.)
 *
 * In the reflected bit order the registers hold, a product comes out one
 * place short and a 32-bit value sits 32 places low: the constants for d
 * bytes are x^(8d+31) and x^(8d-33) mod P.  They are computed at start-up.
 */
#include <string.h>

#include "csum-crc32c.h"

#ifdef __x86_64__
#include <immintrin.h>

/*
 * crc32c-hw rounds: nine streams of 448 bytes, 4032 bytes, the data of a
 * 4 KiB block.  Three keep one crc32 unit busy; Zen 5 has more (measured
 * in cache: 3 streams 28 GB/s, 6 55, 9 60).
 */
#define LANES 9
#define HW_LANE 448
#define HW_ROUND (LANES * HW_LANE)
/*
 * The hardware prefetchers stop at page boundaries: on a long buffer, ask
 * for what the next rounds will want, never beyond the buffer (callers
 * walking block by block prefetch the next blocks themselves, and in
 * cache the prefetches only cost).
 */
#define PREFETCH 8192

#define HW_TARGET "sse4.2,pclmul"
#define FOLD_TARGET "avx512f,vpclmulqdq,pclmul,sse4.2"

/* Lane l of a round shifted over the bytes after it (x^(8d-33) mod P). */
static uint64_t k_hw[LANES - 1];
/* Folding, per 128-bit lane: { x^(8d+31), x^(8d-33) } mod P. */
static uint64_t k256[8] __attribute__((aligned(64))); /* d = 256 */
static uint64_t k64[8] __attribute__((aligned(64)));  /* d = 64 */
/* Register lane i onto lane 3: d = 48, 32, 16; lane 3 as it is. */
static uint64_t klanes[8] __attribute__((aligned(64)));
static uint64_t k16[2] __attribute__((aligned(16))); /* d = 16 */

/* What this CPU can run, asked once (every checksum call looks). */
static int have_lanes, have_fold;

/* @v * x^e mod P, in the reflected order: bit 31 is x^0, bit 0 x^31. */
static uint32_t xmul_pow(uint32_t v, unsigned int e)
{
	while (e--)
		v = (v >> 1) ^ (CRC32C_POLY & -(v & 1));
	return v;
}

static uint32_t xpow_mod(unsigned int e)
{
	return xmul_pow(1u << 31, e);
}

static void fold_consts(uint64_t k[2], unsigned int d)
{
	k[0] = xpow_mod(8 * d + 31);
	k[1] = xpow_mod(8 * d - 33);
}

__attribute__((constructor)) static void crc_x86_init(void)
{
	__builtin_cpu_init(); /* constructors may run before libgcc's */
	have_lanes = __builtin_cpu_supports("sse4.2") &&
		     __builtin_cpu_supports("pclmul");
	have_fold = have_lanes && __builtin_cpu_supports("avx512f") &&
		    __builtin_cpu_supports("vpclmulqdq");
	/* The last lane stays; the one before moves over one lane, ... */
	k_hw[LANES - 2] = xpow_mod(8 * HW_LANE - 33);
	for (int l = LANES - 3; l >= 0; l--)
		k_hw[l] = xmul_pow(k_hw[l + 1], 8 * HW_LANE);
	for (int i = 0; i < 4; i++) {
		fold_consts(k256 + 2 * i, 256);
		fold_consts(k64 + 2 * i, 64);
	}
	for (int i = 0; i < 3; i++)
		fold_consts(klanes + 2 * i, 48 - 16 * i);
	fold_consts(k16, 16);
}

int pr_crc32c_fold_available(void)
{
	return have_fold;
}

static inline uint64_t load64(const unsigned char *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

__attribute__((target("sse4.2"))) static uint32_t
crc_serial(uint32_t crc, const unsigned char *p, size_t n)
{
	uint64_t c = crc;

	for (; n >= 8; n -= 8, p += 8)
		c = _mm_crc32_u64(c, load64(p));
	while (n--)
		c = _mm_crc32_u8(c, *p++);
	return c;
}

/* @c times its constant @k: 64 bits whose crc32 from 0 is c * x^(8d). */
__attribute__((target(HW_TARGET))) static inline uint64_t shift(uint64_t c,
								uint64_t k)
{
	return _mm_cvtsi128_si64(_mm_clmulepi64_si128(_mm_cvtsi64_si128(c),
						      _mm_cvtsi64_si128(k), 0));
}

/* @n steps of every stream, lane l at @p + l * @lane, from @o. */
__attribute__((target(HW_TARGET))) static inline void
streams(uint64_t c[LANES], const unsigned char *p, size_t lane, size_t o,
	size_t n)
{
	for (size_t end = o + 8 * n; o < end; o += 8) {
#pragma GCC unroll 12
		for (int l = 0; l < LANES; l++)
			c[l] = _mm_crc32_u64(c[l], load64(p + l * lane + o));
	}
}

/* One crc32c-hw round: the streams, the first continuing @crc. */
__attribute__((target(HW_TARGET), noinline)) static uint32_t
hw_round(uint32_t crc, const unsigned char *p)
{
	uint64_t c[LANES] = {crc}, m = 0;

	streams(c, p, HW_LANE, 0, HW_LANE / 8);
#pragma GCC unroll 12
	for (int l = 0; l < LANES - 1; l++)
		m ^= shift(c[l], k_hw[l]);
	return _mm_crc32_u64(0, m) ^ c[LANES - 1];
}

__attribute__((target("sse4.2"))) uint32_t
pr_crc32c_hw_raw(uint32_t crc, const unsigned char *p, size_t n)
{
	if (have_lanes)
		for (; n >= HW_ROUND; n -= HW_ROUND, p += HW_ROUND) {
			for (size_t i = 0;
			     n >= PREFETCH + HW_ROUND && i < HW_ROUND; i += 64)
				__builtin_prefetch(p + PREFETCH + i);
			crc = hw_round(crc, p);
		}
	return crc_serial(crc, p, n);
}

__attribute__((target(FOLD_TARGET))) static inline __m512i
load512(const unsigned char *p)
{
	return _mm512_loadu_si512((const void *)p);
}

/* @x folded onto @y, by the constants @k. */
__attribute__((target(FOLD_TARGET))) static inline __m512i
fold512(__m512i x, __m512i k, __m512i y)
{
	return _mm512_ternarylogic_epi64(_mm512_clmulepi64_epi128(x, k, 0x00),
					 _mm512_clmulepi64_epi128(x, k, 0x11),
					 y, 0x96 /* a ^ b ^ c */);
}

__attribute__((target(FOLD_TARGET))) static inline __m128i
fold128(__m128i x, __m128i k, __m128i y)
{
	return _mm_xor_si128(_mm_xor_si128(_mm_clmulepi64_si128(x, k, 0x00),
					   _mm_clmulepi64_si128(x, k, 0x11)),
			     y);
}

/* Four registers of consecutive 64 bytes into one, folded onto @x3. */
__attribute__((target(FOLD_TARGET))) static inline __m512i
join4(__m512i x0, __m512i x1, __m512i x2, __m512i x3)
{
	__m512i k = _mm512_load_si512((const void *)k64);

	return fold512(fold512(fold512(x0, k, x1), k, x2), k, x3);
}

/* A register's four lanes onto its last. */
__attribute__((target(FOLD_TARGET))) static inline __m128i join_lanes(__m512i x)
{
	__m512i k = _mm512_load_si512((const void *)klanes);
	__m512i m = _mm512_xor_si512(_mm512_clmulepi64_epi128(x, k, 0x00),
				     _mm512_clmulepi64_epi128(x, k, 0x11));
	__m128i r = _mm_xor_si128(_mm512_extracti32x4_epi32(x, 3),
				  _mm512_extracti32x4_epi32(m, 0));

	r = _mm_xor_si128(r, _mm512_extracti32x4_epi32(m, 1));
	return _mm_xor_si128(r, _mm512_extracti32x4_epi32(m, 2));
}

/* The CRC from 0 of sixteen bytes. */
__attribute__((target(FOLD_TARGET))) static inline uint32_t crc128(__m128i r)
{
	return _mm_crc32_u64(_mm_crc32_u64(0, _mm_cvtsi128_si64(r)),
			     _mm_extract_epi64(r, 1));
}

/* @n >= 64 bytes: folded to sixteen, then the crc32 tail. */
__attribute__((target(FOLD_TARGET))) static uint32_t
fold(uint32_t crc, const unsigned char *p, size_t n)
{
	/* The register continues @crc: it goes onto the first 32 bits. */
	__m512i x =
		_mm512_xor_si512(load512(p), _mm512_maskz_set1_epi32(1, crc));
	__m512i k;
	__m128i r, k1;

	p += 64;
	n -= 64;
	if (n >= 192) {
		__m512i x1 = load512(p), x2 = load512(p + 64),
			x3 = load512(p + 128);

		p += 192;
		n -= 192;
		k = _mm512_load_si512((const void *)k256);
		for (; n >= 256; p += 256, n -= 256) {
			for (int i = 0; n >= PREFETCH + 256 && i < 256; i += 64)
				__builtin_prefetch(p + PREFETCH + i);
			x = fold512(x, k, load512(p));
			x1 = fold512(x1, k, load512(p + 64));
			x2 = fold512(x2, k, load512(p + 128));
			x3 = fold512(x3, k, load512(p + 192));
		}
		x = join4(x, x1, x2, x3);
	}
	k = _mm512_load_si512((const void *)k64);
	for (; n >= 64; p += 64, n -= 64)
		x = fold512(x, k, load512(p));
	r = join_lanes(x);
	k1 = _mm_load_si128((const void *)k16);
	for (; n >= 16; p += 16, n -= 16)
		r = fold128(r, k1, _mm_loadu_si128((const void *)p));
	return crc_serial(crc128(r), p, n);
}

__attribute__((target(FOLD_TARGET))) uint32_t
pr_crc32c_fold_raw(uint32_t crc, const unsigned char *p, size_t n)
{
	return n >= 64 ? fold(crc, p, n) : crc_serial(crc, p, n);
}
#else
int pr_crc32c_fold_available(void)
{
	return 0;
}

uint32_t pr_crc32c_fold_raw(uint32_t crc, const unsigned char *p, size_t n)
{
	(void)p;
	(void)n;
	return crc; /* never called: not available */
}
#endif
