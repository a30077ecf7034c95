/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The state of a DAX reallocation case (lib/race/daxrace.h), shared by its
 * parts: the case and its threads (daxrace.c), one round of the layout
 * thread (daxround.c), and the judging of what was read (daxjudge.c).
 * Private to those files.
 */
#ifndef PR_DAXSTATE_H
#define PR_DAXSTATE_H

#include <stdatomic.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "backing.h"
#include "daxrace.h"
#include "layout.h"
#include "racecore.h"
#include "verbs.h"

#define PMD_SIZE (2u << 20)
#define B_CHUNK (64u << 10)
/* left free by the fill: room for the change's own metadata */
#define SLACK (64u << 10)
/* what B may take beyond A's size and the slack: space an allocator held
 * back (ext4's preallocations) is not where A's blocks went */
#define B_EXTRA (2u << 20)

enum { W_LAYOUT, W_XFER, NW };
enum { A_ID = 1, B_ID = 2, S_ID = 3 };

/* Whose block a read through A's mapping showed (daxclone.c). */
enum dr_seen {
	DR_SEEN_OWN,	     /* A's, of this round */
	DR_SEEN_OWN_STALE,   /* A's, of an earlier round */
	DR_SEEN_SRC_CLONED,  /* the source's, as it was cloned */
	DR_SEEN_SRC_LATER,   /* the source's, written after the clone */
	DR_SEEN_SRC_EARLIER, /* the source's, of an earlier round */
	DR_SEEN_OTHER,	     /* another file's */
	DR_SEEN_ZERO,
	DR_SEEN_BROKEN, /* torn or no valid header */
	DR_NSEEN
};

struct dr {
	struct pr_race_core k;
	struct pr_ctx *ctx;
	struct pr_result *res;
	const struct pr_case *c;
	const struct pr_daxrace *cfg;
	const struct pr_layout_op *op;
	struct pr_file a, b, s;
	int s_fd, fill_fd;
	char fill_path[600];
	struct pr_rdma rdma;
	struct ibv_mr *mr;
	size_t bs, n, len, blen; /* blen: the most B takes */
	uint64_t seed;
	unsigned char *stage, *rbuf;
	/* A's blocks: before the change, after it alone, and after it with
	 * the transfer's data landed before (final1) or after (final2) */
	struct pr_expect *before, *op_only, *final1, *final2, *spare;
	uint64_t *phys_before, *phys_after, *phys_b;
	/* the round in flight */
	_Atomic uint32_t go, started, done;
	_Atomic uint32_t changed; /* the round whose change has returned */
	uint64_t x_streamed;	  /* O_DIRECT reads, with cfg->stream */
	_Atomic int quit; /* the layout thread is done: so is the transfer */
	size_t x_off, x_len;
	ssize_t x_got; /* bytes the transfer moved, -1: it failed */
	int x_errno;
	/* totals */
	uint64_t rounds, x_ok, x_failed, freed, reused, pmd_rounds, enospc;
	int partial; /* this round's change failed with ENOSPC, maybe halfway */
	uint64_t b_bytes, short_writes;
	int nsaid, inject_done;
	int pmd_now; /* A is mapped with 2 MiB entries this round */
	/* the reflink round (daxclone.c): the CPU's buffer, and whose data
	 * each block read through A's mapping was, during the round's
	 * changes and after them */
	unsigned char *cbuf;
	uint64_t seen[2][DR_NSEEN];
	uint64_t loads, cpu_faults, unjudged;
	/* the round whose clone has returned, and the round in which a
	 * whole CPU pass began after that */
	_Atomic uint32_t cloned, passed;
};

/* A blocking call of worker @wi, published for the watchdog. */
#define CALL(d, wi, name, off, len, expr)                                      \
	PR_CALL(&(d)->k.w[wi], name, off, len, expr)

enum judged { J_FILE, J_READ, J_OTHER }; /* A; a read of A in flight; B */

/* daxround.c */
int dr_fail(struct dr *d, const char *what, int err);
void dr_stamp(struct dr *d, void *buf, size_t off, size_t len, uint32_t id,
	      uint32_t gen, int writer);
int dr_pwrite_all(struct dr *d, int fd, const void *buf, size_t len, size_t off,
		  const char *name);
int dr_pread_all(struct dr *d, int fd, void *buf, size_t len, const char *name);
int dr_write_a(struct dr *d, uint32_t g);
int dr_map_copy(struct dr *d, void *dst, void *src, size_t len);
long dr_prefault(struct dr *d, int *pmd);
/* The device side afresh after a completion error; 0 or -1. */
int dr_reopen(struct dr *d);
/* One round @r; 0, or -1 when the case must stop (d->error says why). */
int dr_round(struct dr *d, uint32_t r, uint64_t *s);
/* The evidence so far into the shared result (daxrace.c). */
void dr_evidence(struct dr *d, uint64_t xfer_rounds);

/* daxclone.c: the reflink round and its CPU transfer */
int dr_clone_setup(struct dr *d);
void dr_cpu_xfer(struct dr *d, uint32_t r);
int dr_clone_round(struct dr *d, uint32_t r, uint64_t *s);
void dr_clone_summary(struct dr *d);

/* daxjudge.c */
void dr_build_models(struct dr *d, struct pr_layout *l, uint32_t g);
void dr_judge(struct dr *d, enum judged what, const unsigned char *buf,
	      size_t first, size_t nblk, uint32_t g, const char *fname,
	      const char *label);

#endif
