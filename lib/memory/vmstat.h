/* SPDX-License-Identifier: GPL-2.0 */
/*
 * FOLL_PIN accounting from /proc/vmstat: nr_foll_pin_acquired and
 * nr_foll_pin_released count every page pinned and unpinned since boot,
 * so their difference is the number of pins held right now, machine-wide.
 * The counters are batched per CPU: writing /proc/sys/vm/stat_refresh
 * (root) folds the batches in before they are read.
 */
#ifndef PR_VMSTAT_H
#define PR_VMSTAT_H

struct pr_pins {
	long long acquired;
	long long released;
};

/*
 * Refresh the counters and read them.  0; -ENOENT when the kernel has no
 * such counters; -errno when /proc/vmstat or stat_refresh fail.
 */
int pr_pins_read(struct pr_pins *p);

/* Pins held machine-wide when @p was read. */
static inline long long pr_pins_held(const struct pr_pins *p)
{
	return p->acquired - p->released;
}

/*
 * Pins held now, less those held at @base, less @known (pages the caller
 * pinned since @base and still holds; negative for ones it released):
 * 0 when balanced.  Other processes' pins can be in flight at either
 * reading, so an imbalance is measured again after @retry_ms and only one
 * that persists is returned in *@excess.  *@now gets the last reading.
 * 0, or -errno when the counters cannot be read.
 */
int pr_pins_excess(const struct pr_pins *base, long long known, int retry_ms,
		   long long *excess, struct pr_pins *now);

#endif
