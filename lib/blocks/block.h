/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Self-describing blocks in the style of fio's verify header.  Every block
 * starts with a header naming what it should be (file, offset, generation,
 * writer, seed) and carries checksums of that header and of its data; the
 * data is regenerated from the header fields, so a verifier can print what
 * was expected beside what was found.
 */
#ifndef PR_BLOCK_H
#define PR_BLOCK_H

#include <stddef.h>
#include <stdint.h>

#include "csum.h"

#define PR_BLK_MAGIC 0x4b425250u /* "PRBK" little endian */
#define PR_BLK_VERSION 1
#define PR_BLK_MIN 512
/* Data starts here; the bytes between the struct and it are zero. */
#define PR_BLK_HDR_LEN 64

enum pr_writer {
	PR_W_NONE,
	PR_W_MMAP,    /* CPU store through the mapping */
	PR_W_PWRITE,  /* write(2) family */
	PR_W_RDMA,    /* the device, through an MR */
	PR_W_ODIRECT, /* O_DIRECT DMA */
	PR_NWRITER
};

struct pr_blk_hdr {
	uint32_t magic;
	uint16_t version;
	uint8_t csum_alg; /* enum pr_csum_alg */
	uint8_t writer;	  /* enum pr_writer */
	uint32_t file_id;
	uint32_t gen;
	uint64_t offset; /* byte offset of this block in its file */
	uint64_t seed;
	uint32_t len; /* block length, header included */
	uint32_t reserved;
	uint64_t data_csum; /* of the bytes after the header */
	uint64_t hdr_csum;  /* of the header up to this field */
};

/* What a block should be: the inputs to pr_blk_fill(). */
struct pr_stamp {
	uint32_t file_id;
	uint32_t gen;
	uint64_t offset;
	uint64_t seed;
	uint8_t writer;
};

/* Write one block of @bs bytes at @blk, checksummed with pr_csum_current(). */
void pr_blk_fill(void *blk, size_t bs, const struct pr_stamp *s);
/* As pr_blk_fill(), checksummed with @alg (verifiers, self-tests). */
void pr_blk_fill_alg(void *blk, size_t bs, const struct pr_stamp *s,
		     enum pr_csum_alg alg);
/*
 * Stamp @len bytes (a multiple of @bs) as consecutive blocks, the first
 * described by @first; offsets advance by @bs.
 */
void pr_blk_fill_range(void *buf, size_t len, size_t bs,
		       const struct pr_stamp *first);
/* 1 if the header's magic, version, length and header checksum hold. */
int pr_blk_hdr_valid(const struct pr_blk_hdr *h, size_t bs);
/* 1 if the data checksum matches the header (header must be valid). */
int pr_blk_data_valid(const void *blk, size_t bs);

#endif
