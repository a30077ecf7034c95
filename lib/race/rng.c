// SPDX-License-Identifier: GPL-2.0
/* xorshift64 and the ranges the races pick with it. */
#include "rng.h"

uint64_t pr_rng(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

void pr_rng_range(uint64_t *s, size_t nunits, size_t unit, size_t *off,
		  size_t *len)
{
	size_t a = pr_rng(s) % nunits, b = pr_rng(s) % nunits;

	if (a > b) {
		size_t t = a;

		a = b;
		b = t;
	}
	*off = a * unit;
	*len = (b - a + 1) * unit;
}
