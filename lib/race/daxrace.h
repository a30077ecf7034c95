/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The DAX reallocation round: with filesystem DAX the page under a pin is
 * the disk block, so a layout change that frees it while a transfer still
 * holds it can hand it to another file.  Each round, on a filesystem first
 * filled to ENOSPC (lib/memory/fsfill.h):
 *
 *  1. file A is written as generation g (odd), its blocks noted (FIEMAP);
 *  2. a transfer thread moves data into A's mapping (an O_DIRECT read from
 *     a page-cache file, an RDMA WRITE through an MR over it: generation
 *     g+1 of A's blocks) or out of it (an RDMA READ), while the layout
 *     thread changes A's layout (the case's operation);
 *  3. right after the change, file B takes what A freed: it is written with
 *     its own id, and FIEMAP counts the blocks it got from A;
 *  4. once the transfer is done: every block of A (through pread, the
 *     mapping and the MR) must be what the operation leaves, with the
 *     transfer's data where it landed before or after the change (the
 *     operation's model applied to both orders); a read transfer must have
 *     seen A before or after the change; every block of B must still be
 *     B's.  A's data in B, or B's data seen through A: "cross-file".
 *
 * With an operation that takes a source file (FICLONE, FICLONERANGE) the
 * round is the reflink round instead (lib/race/daxclone.c): no fill and no
 * file B; the source S is cloned into A, then A and S are each rewritten
 * whole, while the CPU loads or stores A's mapping; a block of S seen
 * through A (or one of A's in S) after the rewrites is "cross-file".
 *
 * Both threads run under a watchdog (lib/harness/watchdog.h): a DAX truncate
 * waits for pinned pages interruptibly, so a wait that never ends is a "hang"
 * finding with the stuck call, its kernel stack, and the step that freed it.
 */
#ifndef PR_DAXRACE_H
#define PR_DAXRACE_H

#include "pinrace.h"

struct pr_backing;
struct pr_layout_op;
struct pr_mr_mode;

enum pr_dax_xfer {
	PR_DAX_XFER_NONE,    /* nothing in flight: only the reads afterwards */
	PR_DAX_XFER_ODIRECT, /* pread(O_DIRECT) from a page-cache file into A */
	PR_DAX_XFER_RDMA_READ,	/* RDMA READ through an MR over A */
	PR_DAX_XFER_RDMA_WRITE, /* RDMA WRITE into it */
	PR_DAX_XFER_CPU_LOAD,	/* plain loads of A's mapping, no pin */
	PR_DAX_XFER_CPU_STORE,	/* plain stores into it (A's rewrite) */
};

/* A variant's priv. */
struct pr_daxrace {
	enum pr_dax_xfer xfer;
	const struct pr_mr_mode *mr;   /* an MR over A, or NULL */
	const struct pr_backing *src;  /* where the O_DIRECT source lives */
	const struct pr_layout_op *op; /* NULL: the case's */
	size_t file_size;	       /* 0: the profile's */
	int pmd;	 /* A must be mapped with 2 MiB entries (else SKIP); the
			  * mapping is faulted in before each round (GUP-fast) and
			  * the operation's range is 2 MiB aligned */
	int rounds;	 /* 0: as many as the profile's duration allows */
	int stream;	 /* O_DIRECT reads repeated until the change returns, so
			  * one is in flight when it starts (2 MiB ranges with pmd)
			  */
	int inject;	 /* self-test: an enum pr_inject fault in a block of A's
			  * mapping read, outside what the round changed */
	int needs_reuse; /* the hazard is the other file getting A's blocks:
			  * a case where it got none is inconclusive */
};

void pr_daxrace_case(struct pr_ctx *ctx, const struct pr_case *c,
		     struct pr_result *res);

#endif
