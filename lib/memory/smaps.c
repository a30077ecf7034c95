// SPDX-License-Identifier: GPL-2.0
/* Reading one vma's fields from /proc/self/smaps. */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "smaps.h"

/* A vma header line: "start-end perms offset dev inode [path]". */
static int vma_range(const char *line, uintptr_t *start, uintptr_t *end)
{
	unsigned long s, e;
	char perms[8];

	if (sscanf(line, "%lx-%lx %7s", &s, &e, perms) != 3)
		return 0;
	*start = s;
	*end = e;
	return 1;
}

int pr_smaps_field(const void *addr, const char *key, char *out, size_t len)
{
	uintptr_t a = (uintptr_t)addr, start, end;
	size_t klen = strlen(key);
	char line[1024];
	int inside = 0, rc = -ENOENT;
	FILE *f = fopen("/proc/self/smaps", "re");

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (vma_range(line, &start, &end)) {
			if (inside)
				break; /* past our vma: no such field */
			inside = a >= start && a < end;
			continue;
		}
		if (!inside || strncmp(line, key, klen) || line[klen] != ':')
			continue;
		snprintf(out, len, "%s",
			 line + klen + 1 + strspn(line + klen + 1, " \t"));
		for (size_t n = strlen(out);
		     n && isspace((unsigned char)out[n - 1]);)
			out[--n] = '\0';
		rc = 0;
		break;
	}
	fclose(f);
	return rc;
}
