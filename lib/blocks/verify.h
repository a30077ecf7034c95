/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Block verification: compare what was read against what should be there
 * and name the difference.  Pure functions over buffers: no kernel, no
 * device, so every class can be injected by a self-test.
 */
#ifndef PR_VERIFY_H
#define PR_VERIFY_H

#include <stddef.h>
#include <stdint.h>

#include "block.h"
#include "outcome.h"

enum pr_class {
	PR_BLK_OK,
	PR_BLK_STALE,	  /* right file and offset, an older generation */
	PR_BLK_LOST,	  /* as STALE, but the expected data was written by the
			   * device: the device's write never reached the file */
	PR_BLK_FUTURE,	  /* right file and offset, a newer generation */
	PR_BLK_MISPLACED, /* right file, wrong offset */
	PR_BLK_CROSS,	  /* another file's block */
	PR_BLK_TORN,	  /* valid header, data checksum wrong */
	PR_BLK_ZERO,	  /* all zero bytes: a hole */
	PR_BLK_CORRUPT,	  /* neither zero nor a valid header */
	PR_NCLASS
};

/* Special generations in expectations. */
#define PR_GEN_HOLE 0u	       /* a hole: the block must read as zeros */
#define PR_GEN_ANY 0xffffffffu /* not judged (e.g. a partly cut block) */

struct pr_expect {
	uint32_t file_id;
	uint32_t gen;	 /* or PR_GEN_HOLE, PR_GEN_ANY (models only) */
	uint64_t offset; /* of the first block when used for a range */
	uint64_t seed;
	int by_device; /* expected data was written through the MR */
};

struct pr_vreport {
	uint64_t nblocks;
	uint64_t count[PR_NCLASS];
	int64_t first_bad; /* file offset of the first bad block, -1: none */
	enum pr_class first_class;
	char first_msg[320]; /* fio-style line for the first bad block */
	unsigned ndumped;
};

const char *pr_class_name(enum pr_class c);
/* The finding a bad block of class @c amounts to (PR_F_NONE for OK). */
enum pr_finding pr_class_finding(enum pr_class c);

/*
 * Classify one block of @bs bytes against @e (e->offset is this block's).
 * When @found is not NULL and the header is valid it receives the header.
 */
enum pr_class pr_verify_block(const void *blk, size_t bs,
			      const struct pr_expect *e,
			      struct pr_blk_hdr *found);

/*
 * Verify @len bytes as consecutive blocks, the first expected as @e.
 * Adds to @rep (call pr_vreport_init() first).  For at most
 * PR_VERIFY_MAX_DUMPS bad blocks, and when @dumpdir is not NULL, writes
 * "<dumpdir>/<label>.<offset>.expected" and ".received".  Prints one
 * fio-style line per bad block (up to a limit) to stdout as a TAP
 * diagnostic: "# verify failed at file F offset O, length L: expected
 * <file/gen/offset/csum>, received <...> (class)".  @fname names the file
 * in those lines.  Returns the number of bad blocks found by this call.
 */
#define PR_VERIFY_MAX_DUMPS 4
void pr_vreport_init(struct pr_vreport *rep);
uint64_t pr_verify_range(const void *buf, size_t len, size_t bs,
			 const struct pr_expect *e, const char *fname,
			 const char *dumpdir, const char *label,
			 struct pr_vreport *rep);
/*
 * Verify @n blocks read from file offset 0 on, block i against @cur[i]
 * (a model: holes, blocks moved by collapse or insert, another file's
 * blocks after a clone).  A block that does not match @cur[i] but matches
 * @prev[i], its state before the last change (@prev may be NULL), is
 * STALE, or LOST when @cur[i].by_device.  Reports like pr_verify_range().
 */
uint64_t pr_verify_model(const void *buf, size_t n, size_t bs,
			 const struct pr_expect *cur,
			 const struct pr_expect *prev, const char *fname,
			 const char *dumpdir, const char *label,
			 struct pr_vreport *rep);
/* Most severe finding in @rep, ignoring ZERO unless @zero_is_bad. */
enum pr_finding pr_vreport_finding(const struct pr_vreport *rep,
				   int zero_is_bad);

#endif
