/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Block checksums, chosen at run time: natively XXH3 (SIMD) and CRC32C by
 * folding or by several crc32 streams run within a few percent of each
 * other, but TCG emulates the crc32 instruction slowly and the AVX2 of
 * XXH3 loses to scalar XXH64 there, so the choice is measured where the
 * suite runs.  Every block records the algorithm it used.
 */
#ifndef PR_CSUM_H
#define PR_CSUM_H

#include <stddef.h>
#include <stdint.h>

enum pr_csum_alg {
	PR_CSUM_NONE = 0,
	PR_CSUM_CRC32C_HW = 1, /* SSE4.2 crc32 instruction */
	PR_CSUM_CRC32C_SW = 2, /* table driven, same values as HW */
	PR_CSUM_XXH3 = 3,  /* XXH3_64bits from libxxhash (SIMD dispatched) */
	PR_CSUM_XXH64 = 4, /* XXH64: scalar, fast where SIMD is emulated */
	/* AVX-512 VPCLMULQDQ folding: same values as HW */
	PR_CSUM_CRC32C_FOLD = 5,
	PR_CSUM_NALG
};

/*
 * Pick the algorithm new blocks are stamped with: $PINRACE_CSUM (a name
 * from pr_csum_name()) if set, else the fastest measured on this CPU.
 * Returns the choice.  Idempotent; called by the harness at start-up.
 */
enum pr_csum_alg pr_csum_select(void); /* for the data of 4 KiB blocks */
/* The same for checksums over @len bytes (a block's data). */
enum pr_csum_alg pr_csum_select_len(size_t len);
/*
 * Time every algorithm on checksums of @len bytes: the second-fastest of
 * several passes over a buffer flushed from the caches and walked as the
 * verifier walks it, after a warm-up, as GB/s in @gbps[alg] (0: cannot run
 * here; NULL: not wanted); an algorithm far behind after a few passes keeps
 * those.  Returns the fastest.  What pr_csum_select_len() uses
 * (csum-select.c).
 */
int pr_csum_measure(size_t len, double gbps[PR_CSUM_NALG]);
/*
 * The speeds the current choice was made on, as pr_csum_measure() gave
 * them.  Returns 0, with zeros, when $PINRACE_CSUM made it.
 */
int pr_csum_choice_speeds(double gbps[PR_CSUM_NALG]);
enum pr_csum_alg pr_csum_current(void);
/*
 * @len bytes at @p out of every cache, back to memory, as a device or
 * another process leaves them (where there is no way, as they are): what
 * speeds "from memory" are measured on.
 */
void pr_flush_caches(const void *p, size_t len);
/* Returns 0 when @alg cannot run here (e.g. CRC32C_HW without SSE4.2). */
int pr_csum_available(enum pr_csum_alg alg);
uint64_t pr_csum(enum pr_csum_alg alg, const void *buf, size_t len);
const char *pr_csum_name(enum pr_csum_alg alg);
int pr_csum_from_name(const char *name); /* -1 when unknown */

#endif
