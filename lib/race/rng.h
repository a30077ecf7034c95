/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The suite's one pseudo-random generator: xorshift64, seeded from the
 * run's seed so that `--seed` replays a race.  Each thread keeps its own
 * state (the seed xor a per-thread constant, never 0).
 */
#ifndef PR_RNG_H
#define PR_RNG_H

#include <stddef.h>
#include <stdint.h>

/* The next number; advances *@s. */
uint64_t pr_rng(uint64_t *s);
/*
 * A random range of whole units out of @nunits (at least 1) of @unit
 * bytes each: *@off and *@len in bytes, at least one unit long.
 */
void pr_rng_range(uint64_t *s, size_t nunits, size_t unit, size_t *off,
		  size_t *len);

#endif
