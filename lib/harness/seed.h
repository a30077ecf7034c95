/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Seeds as users type them: a full unsigned 64-bit decimal (no leading
 * zero, so "010" is never read as octal 8) or 0x followed by up to 16 hex
 * digits.  Anything else, an overflow included, is refused.
 */
#ifndef PR_SEED_H
#define PR_SEED_H

#include <stdint.h>

/* 0 and *out set, or -1 (nothing set) when @s is not such a seed. */
int pr_seed_parse(const char *s, uint64_t *out);

#endif
