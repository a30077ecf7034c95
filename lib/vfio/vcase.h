/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What every VFIO case repeats: the device named by $PINRACE_VFIO_DEV
 * opened in its own container with its DMA engine (vengine.h: edu or NVMe), a
 * scratch buffer mapped writable at PR_VIOVA_SCRATCH, the memory under test (a
 * backing) at PR_VIOVA_MEM, the case's steps run in a thread under the watchdog
 * (a stuck ioctl or DMA wait is a "hang"), device copies counted, blocks judged
 * through pr_verify_model(), and IOMMU faults read from the kernel log: faults
 * at the IOVAs a case aimed at are its evidence, any other is an
 * "iommu-fault" finding.  A fault interrupt with no report in the log (the
 * kernel ratelimits them) counts as a fault at an unknown IOVA.
 */
#ifndef PR_VCASE_H
#define PR_VCASE_H

#include "backing.h"
#include "kmsg.h"
#include "pinrace.h"
#include "vengine.h"
#include "vfio.h"

#define PR_VIOVA_MEM 0x100000ull
#define PR_VIOVA_SCRATCH 0x800000ull
#define PR_VIOVA_NEVER 0x4000000ull /* never mapped by any case */
#define PR_VFIO_DMA_TIMEOUT_MS 10000

/* Memory that is not a file: anonymous private (memfd: pr_backing_memfd). */
extern const struct pr_backing pr_backing_vfio_anon;

struct pr_vcase {
	struct pr_ctx *ctx;
	struct pr_result *res;
	const struct pr_case *c;
	struct pr_vfio v;
	struct pr_vengine e; /* the device's DMA engine */
	struct pr_kmsg k;
	struct pr_file f; /* the memory under test */
	void *scratch;	  /* f.len bytes, at PR_VIOVA_SCRATCH */
	size_t bs, n;	  /* block size, blocks in f */
	int mapped;	  /* f is mapped at PR_VIOVA_MEM */
	long long irqs;	  /* IOMMU fault interrupts seen so far, or -1 */
	const void *priv; /* the test's own */
};

/*
 * Open the device, the scratch buffer and @len bytes of the case's
 * backing (f.map).  0, or -1 with the result set (error or skip).
 */
int pr_vcase_open(struct pr_vcase *vc, struct pr_ctx *ctx,
		  const struct pr_case *c, struct pr_result *res, size_t len);
void pr_vcase_close(struct pr_vcase *vc);
/* Run @fn in a thread under the watchdog; joined unless abandoned. */
void pr_vcase_run(struct pr_vcase *vc, void (*fn)(struct pr_vcase *vc));
/*
 * Map f at PR_VIOVA_MEM; a refusal is recorded (pr_refused) with its
 * errno and returns -1.
 */
int pr_vcase_map_mem(struct pr_vcase *vc, int writable);
/* Stamp @buf (f.len bytes) as generation @gen of f. */
void pr_vcase_stamp(struct pr_vcase *vc, void *buf, uint32_t gen,
		    uint8_t writer);
/* A model of f: generation @gen (by the device if @by_device). */
void pr_vcase_model(struct pr_vcase *vc, struct pr_expect *m, uint32_t gen,
		    int by_device);
/* Device copy of @len bytes between IOVAs; 0, or -1 after pr_error(). */
int pr_vcase_copy(struct pr_vcase *vc, uint64_t src, uint64_t dst,
		  uint64_t len);
/*
 * For a copy the IOMMU is meant to fault: 0 when the device completed it,
 * 1 when the device reported it failed (an NVMe error status after the
 * fault), -1 after pr_error() (a timeout).  What an NVMe device reported
 * (its error status, or "a successful completion") goes to @why.
 */
int pr_vcase_copy_denied(struct pr_vcase *vc, uint64_t src, uint64_t dst,
			 uint64_t len, char *why, size_t wlen);
/*
 * The same as two halves, so that the device's write to @dst can be in
 * flight: start it (0, or -1 after pr_error()), is it still in flight,
 * and wait for it (as pr_vcase_copy_denied()).
 */
int pr_vcase_start(struct pr_vcase *vc, uint64_t src, uint64_t dst,
		   uint32_t len);
int pr_vcase_busy(struct pr_vcase *vc);
int pr_vcase_wait(struct pr_vcase *vc, uint64_t dst, char *why, size_t wlen);
/* Judge f.len bytes at @buf against @cur (and @prev); bad blocks. */
uint64_t pr_vcase_check(struct pr_vcase *vc, const void *buf,
			const struct pr_expect *cur,
			const struct pr_expect *prev, const char *label);
/*
 * Read the IOMMU faults logged since the last call, waiting up to
 * @wait_ms for a first one.  Faults at IOVAs in [@lo, @hi) are counted
 * (the first one's line in @aimed); any other makes the case fail with
 * "iommu-fault".  Returns the aimed faults, or -errno.
 */
int pr_vcase_faults(struct pr_vcase *vc, uint64_t lo, uint64_t hi, int wait_ms,
		    char *aimed, size_t len);

#endif
