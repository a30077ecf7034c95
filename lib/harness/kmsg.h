/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel log, per case: a marker line before the case, and after it
 * every new record that looks like a kernel complaint (WARNING, BUG, Oops,
 * KASAN, UBSAN, lockdep, DMA-API, hung task, RCU stall) becomes a finding.
 */
#ifndef PR_KMSG_H
#define PR_KMSG_H

#include <stddef.h>
#include <stdint.h>

struct pr_kmsg {
	int fd; /* reader positioned after the last record seen */
};

/* Open a reader at the end of the log. 0 or -errno. */
int pr_kmsg_open(struct pr_kmsg *k);
void pr_kmsg_close(struct pr_kmsg *k);
/* Write one line to the log (a marker). 0 or -errno. */
int pr_kmsg_write(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* 1 if @msg is a line that makes a kernel-warning finding. */
int pr_kmsg_is_bad(const char *msg);
/*
 * Read the records logged since the last call.  Bad ones with a sequence
 * number above @skip_seq are appended to @buf ('\n'-separated, truncated
 * to @len).  *@last_seq gets the last sequence number read.  Returns the
 * number of bad lines, or -errno.
 */
int pr_kmsg_scan(struct pr_kmsg *k, uint64_t skip_seq, char *buf, size_t len,
		 uint64_t *last_seq);
/* As pr_kmsg_scan(), for the records @match says yes to. */
int pr_kmsg_scan_match(struct pr_kmsg *k, int (*match)(const char *msg),
		       uint64_t skip_seq, char *buf, size_t len,
		       uint64_t *last_seq);
/* 1 if @msg is an IOMMU translation fault (VT-d DMAR, AMD-Vi). */
int pr_kmsg_is_iommu_fault(const char *msg);

#endif
