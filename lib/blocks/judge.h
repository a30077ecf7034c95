/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The judge: one function says what a block read in a race is (its class
 * against what it may be) and whether the race's context excuses it, and
 * why; one place counts the verdicts, words the first bad blocks like fio
 * and dumps them.  Every race (lib/race/race.c, lib/blocks/daxjudge.c) and the model
 * verifier (pr_verify_model) judge through it.
 *
 * The contexts that excuse a bad block, each only where the race says so
 * for that block (a layout change's range, a device write's range):
 *
 *   in-flight   a write overlapped the read: torn, corrupt or newer data
 *   moved       the change moves blocks here: a block of another offset
 *   holes       the change may leave a hole here: zeros
 *   source      the change brings the source file's blocks here
 *   undefined   the model leaves the block undefined (PR_GEN_ANY)
 *
 * A block no context could excuse is judged strictly; stale and lost
 * blocks are never excused.
 */
#ifndef PR_JUDGE_H
#define PR_JUDGE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "verify.h"

struct pr_ctx;
struct pr_result;

enum pr_excuse {
	PR_EX_NONE, /* judged strictly: nothing excused */
	PR_EX_IN_FLIGHT,
	PR_EX_MOVED,
	PR_EX_HOLES,
	PR_EX_SOURCE,
	PR_EX_UNDEFINED,
	PR_NEXCUSE
};
#define PR_EXF(x) (1u << (x))
#define PR_EXF_ALL 0xffu

/* What a race proves about its blocks: results.jsonl's evidence. */
struct pr_evidence {
	uint64_t strict; /* blocks judged with nothing to excuse them */
	uint64_t excused[PR_NEXCUSE][PR_NCLASS]; /* bad blocks excused */
	uint64_t reads, quiet_reads; /* reads, and those no change overlapped */
	int dax; /* a reallocation race: the fields below are set */
	uint64_t freed, reused; /* blocks A freed, and the other file got */
	int pmd_known; /* the mapping's entries were counted each round */
	uint64_t pmd_rounds, xfer_rounds; /* transfers that ran with A mapped
					   * with 2 MiB entries, of all */
	/* when the first bad block not excused was read: the case's layout
	 * operations done by then and the read's number (1: the first);
	 * 0 when none was */
	uint64_t first_bad_ops, first_bad_read;
};

const char *pr_excuse_name(enum pr_excuse x);

/* What a block may be, and what the context excuses. */
struct pr_judgement {
	const struct pr_expect *cand; /* what it may be, most likely first */
	int ncand;
	const struct pr_expect *old; /* before the change (stale, lost), or
				      * NULL */
	unsigned int allow;	     /* PR_EXF() of the excusing contexts */
	uint32_t src_id;	     /* the source file's id, with source */
};

struct pr_verdict {
	enum pr_class cls;  /* OK when it is one of the candidates */
	enum pr_excuse why; /* PR_EX_NONE: cls stands */
	int strict;	    /* nothing could have excused it */
};

struct pr_verdict pr_judge(const void *blk, size_t bs,
			   const struct pr_judgement *j);

/*
 * Judge @nblk blocks of @bs bytes at @buf, block k read at file offset
 * @pos0 + k * @bs, each against what @get(@arg, k, &j) says; fold the
 * counts and the evidence into the case's result, word and dump the
 * first bad blocks (PR_VERIFY_MAX_DUMPS per case, counted in *@nsaid),
 * all under @lock when not NULL.  Returns the bad blocks not excused.
 */
typedef void (*pr_judge_get)(void *arg, size_t k, struct pr_judgement *j);
struct pr_judge_sink {
	struct pr_ctx *ctx;
	struct pr_result *res;
	pthread_mutex_t *lock;
	int *nsaid;
	const char *fname, *label;
};
uint64_t pr_judge_range(const struct pr_judge_sink *s, const void *buf,
			size_t nblk, size_t bs, uint64_t pos0, pr_judge_get get,
			void *arg);
/* Add @add into @acc. */
void pr_evidence_add(struct pr_evidence *acc, const struct pr_evidence *add);

/*
 * A block met mid-write by a copy (fork-cow's O_DIRECT blocks): its first
 * bytes are one of @nv versions and the rest another, split at one point.
 * 1 if so; bytes of no version make it 0.
 */
int pr_judge_spliced(const void *blk, size_t bs,
		     const unsigned char *const *versions, int nv);

#endif
