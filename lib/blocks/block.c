// SPDX-License-Identifier: GPL-2.0
/*
 * Stamping self-describing blocks.  The data after the 64-byte header is a
 * splitmix64 stream seeded from (seed, file_id, offset, gen), so anyone
 * holding those four values can rebuild the block bit for bit.
 */
#include <stddef.h>
#include <string.h>

#include "block.h"
#include "csum.h"

_Static_assert(sizeof(struct pr_blk_hdr) <= PR_BLK_HDR_LEN,
	       "block header outgrew its slot");

#define GOLDEN 0x9e3779b97f4a7c15ull
#define HDR_CSUM_LEN offsetof(struct pr_blk_hdr, hdr_csum)

static inline uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t data_seed(const struct pr_stamp *s)
{
	uint64_t x = mix64(s->seed + GOLDEN);

	x = mix64(x ^ ((uint64_t)s->file_id << 32 | s->gen));
	return mix64(x ^ s->offset);
}

static void fill_data(unsigned char *p, size_t len, uint64_t x)
{
	for (size_t i = 0; i + 8 <= len; i += 8) {
		uint64_t v;

		x += GOLDEN;
		v = mix64(x);
		memcpy(p + i, &v, sizeof(v));
	}
}

void pr_blk_fill_alg(void *blk, size_t bs, const struct pr_stamp *s,
		     enum pr_csum_alg alg)
{
	unsigned char *p = blk;
	struct pr_blk_hdr h;

	fill_data(p + PR_BLK_HDR_LEN, bs - PR_BLK_HDR_LEN, data_seed(s));
	memset(p, 0, PR_BLK_HDR_LEN);
	memset(&h, 0, sizeof(h));
	h.magic = PR_BLK_MAGIC;
	h.version = PR_BLK_VERSION;
	h.csum_alg = alg;
	h.writer = s->writer;
	h.file_id = s->file_id;
	h.gen = s->gen;
	h.offset = s->offset;
	h.seed = s->seed;
	h.len = bs;
	h.data_csum = pr_csum(alg, p + PR_BLK_HDR_LEN, bs - PR_BLK_HDR_LEN);
	h.hdr_csum = pr_csum(alg, &h, HDR_CSUM_LEN);
	memcpy(p, &h, sizeof(h));
}

void pr_blk_fill(void *blk, size_t bs, const struct pr_stamp *s)
{
	pr_blk_fill_alg(blk, bs, s, pr_csum_current());
}

void pr_blk_fill_range(void *buf, size_t len, size_t bs,
		       const struct pr_stamp *first)
{
	enum pr_csum_alg alg = pr_csum_current();
	struct pr_stamp s = *first;
	unsigned char *p = buf;

	for (size_t off = 0; off + bs <= len; off += bs) {
		s.offset = first->offset + off;
		pr_blk_fill_alg(p + off, bs, &s, alg);
	}
}

static int alg_known(unsigned int alg)
{
	return alg > PR_CSUM_NONE && alg < PR_CSUM_NALG;
}

int pr_blk_hdr_valid(const struct pr_blk_hdr *h, size_t bs)
{
	if (h->magic != PR_BLK_MAGIC || h->version != PR_BLK_VERSION)
		return 0;
	if (bs < PR_BLK_MIN || bs % PR_BLK_MIN || h->len != bs)
		return 0;
	if (!alg_known(h->csum_alg))
		return 0;
	return pr_csum(h->csum_alg, h, HDR_CSUM_LEN) == h->hdr_csum;
}

/* The bytes between the header struct and the data must stay zero. */
static int pad_clear(const unsigned char *blk)
{
	static const unsigned char
		zero[PR_BLK_HDR_LEN - sizeof(struct pr_blk_hdr)];

	return !memcmp(blk + sizeof(struct pr_blk_hdr), zero, sizeof(zero));
}

int pr_blk_data_valid(const void *blk, size_t bs)
{
	const struct pr_blk_hdr *h = blk;
	const unsigned char *p = blk;

	if (!pad_clear(p))
		return 0;
	return pr_csum(h->csum_alg, p + PR_BLK_HDR_LEN, bs - PR_BLK_HDR_LEN) ==
	       h->data_csum;
}
