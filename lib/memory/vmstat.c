// SPDX-License-Identifier: GPL-2.0
/* FOLL_PIN counters from /proc/vmstat, refreshed and compared. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vmstat.h"

static int refresh(void)
{
	int fd = open("/proc/sys/vm/stat_refresh", O_WRONLY | O_CLOEXEC);
	int err = 0;

	if (fd < 0)
		return -errno;
	/* EINVAL only says some counter went negative: still refreshed */
	if (write(fd, "1\n", 2) < 0 && errno != EINVAL)
		err = -errno;
	close(fd);
	return err;
}

int pr_pins_read(struct pr_pins *p)
{
	char key[64];
	long long val;
	int found = 0, rc = refresh();
	FILE *f;

	if (rc)
		return rc;
	f = fopen("/proc/vmstat", "re");
	if (!f)
		return -errno;
	while (fscanf(f, "%63s %lld", key, &val) == 2) {
		if (!strcmp(key, "nr_foll_pin_acquired"))
			p->acquired = val, found |= 1;
		else if (!strcmp(key, "nr_foll_pin_released"))
			p->released = val, found |= 2;
	}
	fclose(f);
	return found == 3 ? 0 : -ENOENT;
}

int pr_pins_excess(const struct pr_pins *base, long long known, int retry_ms,
		   long long *excess, struct pr_pins *now)
{
	struct timespec pause = {retry_ms / 1000, (retry_ms % 1000) * 1000000L};
	int rc;

	for (int attempt = 0; attempt < 2; attempt++) {
		if (attempt)
			nanosleep(&pause, NULL);
		rc = pr_pins_read(now);
		if (rc)
			return rc;
		*excess = pr_pins_held(now) - pr_pins_held(base) - known;
		if (!*excess)
			break;
	}
	return 0;
}
