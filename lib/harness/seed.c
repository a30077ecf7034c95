// SPDX-License-Identifier: GPL-2.0
/* Strict parsing of --seed and PINRACE_SEED (see seed.h). */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>

#include "seed.h"

int pr_seed_parse(const char *s, uint64_t *out)
{
	int hex = s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
	const char *d = hex ? s + 2 : s;
	unsigned long long v;
	char *end;

	if (!*d)
		return -1;
	for (const char *p = d; *p; p++)
		if (hex ? !isxdigit((unsigned char)*p)
			: !isdigit((unsigned char)*p))
			return -1;
	if (!hex && d[0] == '0' && d[1])
		return -1; /* a leading zero: octal to strtoull, never here */
	errno = 0;
	v = strtoull(d, &end, hex ? 16 : 10);
	if (errno == ERANGE || *end)
		return -1;
	*out = v;
	return 0;
}
