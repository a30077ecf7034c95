// SPDX-License-Identifier: GPL-2.0
/* Profiles: "key = value" lines; unknown keys and bad values are errors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profile.h"

struct key {
	const char *name;
	size_t off;
	int is_size;
	long min;
};

#define KEY(f, sz, m)                                                          \
	{                                                                      \
#f, offsetof(struct pr_profile, f), sz, m                      \
	}
static const struct key keys[] = {
	KEY(file_size, 1, 4096),   KEY(block_size, 1, 512),
	KEY(duration, 0, 1),	   KEY(threads, 0, 1),
	KEY(qdepth, 0, 1),	   KEY(timeout, 0, 1),
	KEY(cqe_timeout_ms, 0, 1), KEY(hang_bound, 0, 1),
	KEY(pin_wait_bound, 0, 1), KEY(pressure_size, 1, 4096),
	KEY(burst, 0, 1),	   KEY(quiet_ms, 0, 0),
};

static void defaults(struct pr_profile *p)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "quick");
	p->file_size = 256 << 10;
	p->block_size = 4096;
	p->duration = 10;
	p->threads = 1;
	p->qdepth = 4;
	p->timeout = 300;
	p->cqe_timeout_ms = 20000;
	p->hang_bound = 20;
	p->pin_wait_bound = 5;
	p->burst = 1;
	p->quiet_ms = 20;
}

/* "64k", "2m", "1g" or plain bytes. */
static int parse_num(const char *s, int is_size, long *out)
{
	char *end;
	long v = strtol(s, &end, 0);

	if (end == s)
		return -1;
	if (is_size && *end) {
		const char *u = strchr("kmg", *end | 0x20);

		if (!u || end[1])
			return -1;
		v <<= 10 * (u - "kmg" + 1);
	} else if (*end) {
		return -1;
	}
	*out = v;
	return 0;
}

static int set_key(struct pr_profile *p, const char *k, const char *v)
{
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		long n;

		if (strcmp(keys[i].name, k))
			continue;
		if (parse_num(v, keys[i].is_size, &n) || n < keys[i].min)
			return -1;
		if (keys[i].is_size)
			*(size_t *)((char *)p + keys[i].off) = n;
		else
			*(int *)((char *)p + keys[i].off) = n;
		return 0;
	}
	if (!strcmp(k, "name")) {
		snprintf(p->name, sizeof(p->name), "%.31s", v);
		return 0;
	}
	if (!strcmp(k, "pressure")) {
		snprintf(p->pressure, sizeof(p->pressure), "%.127s", v);
		return 0;
	}
	return -1;
}

int pr_profile_load(struct pr_profile *p, char *err, size_t len)
{
	const char *path = getenv("PINRACE_PROFILE");
	char line[256], k[64], v[64];
	int lineno = 0, rc = 0;
	FILE *f;

	defaults(p);
	if (!path || !*path)
		return 0;
	f = fopen(path, "re");
	if (!f) {
		snprintf(err, len, "cannot open profile %s", path);
		return -1;
	}
	while (!rc && fgets(line, sizeof(line), f)) {
		lineno++;
		if (line[strspn(line, " \t")] == '#' ||
		    line[strspn(line, " \t\n")] == '\0')
			continue;
		if (sscanf(line, " %63[a-z_] = %63s", k, v) != 2 ||
		    set_key(p, k, v)) {
			snprintf(err, len, "%s:%d: bad line: %s", path, lineno,
				 line);
			rc = -1;
		}
	}
	fclose(f);
	if (!rc && (p->block_size % 512 || p->file_size % p->block_size)) {
		snprintf(
			err, len,
			"%s: block_size must be a multiple of 512 dividing file_size",
			path);
		rc = -1;
	}
	return rc;
}
