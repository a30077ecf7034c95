/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The CRC32C implementations behind csum.c, shared between its files.  All
 * work on the raw register: no inversion before or after, so a CRC can be
 * continued over the next bytes.
 */
#ifndef PR_CSUM_CRC32C_H
#define PR_CSUM_CRC32C_H

#include <stddef.h>
#include <stdint.h>

#define CRC32C_POLY 0x82f63b78u /* Castagnoli, reflected */

/*
 * csum-crc32c-x86.c (x86-64 only).  The crc32 instruction, on six streams
 * where PCLMULQDQ joins them; only where SSE4.2 is.
 */
uint32_t pr_crc32c_hw_raw(uint32_t crc, const unsigned char *p, size_t n);
/* 1 where pr_crc32c_fold_raw() can run: AVX-512 with VPCLMULQDQ. */
int pr_crc32c_fold_available(void);
/* Carry-less folding of 64-byte registers beside six crc32 streams. */
uint32_t pr_crc32c_fold_raw(uint32_t crc, const unsigned char *p, size_t n);

#endif
