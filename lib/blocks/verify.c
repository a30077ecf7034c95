// SPDX-License-Identifier: GPL-2.0
/*
 * Naming what went wrong with a block.  The common case (a good block)
 * costs one header check and one pass of the data checksum; everything
 * else (messages, the rebuilt expected block, dumps) is only done for bad
 * blocks.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "block.h"
#include "csum.h"
#include "judge.h"
#include "verify.h"

#define PR_VERIFY_MAX_LINES 8 /* diagnostic lines per pr_verify_range() */

static const char *const class_names[PR_NCLASS] = {
	[PR_BLK_OK] = "ok",
	[PR_BLK_STALE] = "stale",
	[PR_BLK_LOST] = "lost",
	[PR_BLK_FUTURE] = "future",
	[PR_BLK_MISPLACED] = "misplaced",
	[PR_BLK_CROSS] = "cross-file",
	[PR_BLK_TORN] = "torn",
	[PR_BLK_ZERO] = "zero",
	[PR_BLK_CORRUPT] = "corrupt",
};

static const enum pr_finding class_findings[PR_NCLASS] = {
	[PR_BLK_OK] = PR_F_NONE,
	[PR_BLK_STALE] = PR_F_STALE_READ,
	[PR_BLK_LOST] = PR_F_LOST_WRITE,
	[PR_BLK_FUTURE] = PR_F_MISPLACED,
	[PR_BLK_MISPLACED] = PR_F_MISPLACED,
	[PR_BLK_CROSS] = PR_F_CROSS_FILE,
	[PR_BLK_TORN] = PR_F_TORN,
	[PR_BLK_ZERO] = PR_F_ZERO,
	[PR_BLK_CORRUPT] = PR_F_TORN,
};

const char *pr_class_name(enum pr_class c)
{
	if ((unsigned int)c >= PR_NCLASS)
		return "unknown";
	return class_names[c];
}

enum pr_finding pr_class_finding(enum pr_class c)
{
	if ((unsigned int)c >= PR_NCLASS)
		return PR_F_NONE;
	return class_findings[c];
}

static int all_zero(const unsigned char *p, size_t n)
{
	/* The first byte is zero, and every byte equals the one before. */
	return n == 0 || (p[0] == 0 && !memcmp(p, p + 1, n - 1));
}

/* Class of a block whose header is valid, judged by the header alone. */
static enum pr_class classify_hdr(const struct pr_blk_hdr *h,
				  const struct pr_expect *e)
{
	if (h->file_id != e->file_id)
		return PR_BLK_CROSS;
	if (h->offset != e->offset)
		return PR_BLK_MISPLACED;
	if (h->gen < e->gen)
		return e->by_device ? PR_BLK_LOST : PR_BLK_STALE;
	if (h->gen > e->gen)
		return PR_BLK_FUTURE;
	if (h->seed != e->seed)
		return PR_BLK_CROSS; /* same names, another run's data */
	return PR_BLK_OK;
}

enum pr_class pr_verify_block(const void *blk, size_t bs,
			      const struct pr_expect *e,
			      struct pr_blk_hdr *found)
{
	struct pr_blk_hdr h;
	enum pr_class c;

	/* One copy: the block may change under us while we look. */
	memcpy(&h, blk, sizeof(h));
	if (!pr_blk_hdr_valid(&h, bs)) {
		if (found)
			memset(found, 0, sizeof(*found));
		return all_zero(blk, bs) ? PR_BLK_ZERO : PR_BLK_CORRUPT;
	}
	if (found)
		*found = h;
	c = classify_hdr(&h, e);
	if (c == PR_BLK_OK && !pr_blk_data_valid(blk, bs))
		c = PR_BLK_TORN;
	return c;
}

void pr_vreport_init(struct pr_vreport *rep)
{
	memset(rep, 0, sizeof(*rep));
	rep->first_bad = -1;
	rep->first_class = PR_BLK_OK;
}

enum pr_finding pr_vreport_finding(const struct pr_vreport *rep,
				   int zero_is_bad)
{
	enum pr_finding worst = PR_F_NONE;

	for (int c = 0; c < PR_NCLASS; c++) {
		enum pr_finding f = pr_class_finding(c);

		if (!rep->count[c] || (c == PR_BLK_ZERO && !zero_is_bad))
			continue;
		if (f > worst)
			worst = f;
	}
	return worst;
}

/* State of one pr_verify_range() call on its slow path. */
struct vbad {
	const void *blk; /* the received block */
	uint64_t pos;	 /* where it was read: file offset */
	size_t bs;
	const struct pr_expect *e; /* e->offset is this block's */
	enum pr_class cls;
	struct pr_blk_hdr hdr; /* received, valid unless ZERO/CORRUPT */
	unsigned char *exp;    /* the rebuilt expected block, bs bytes */
};

static int hdr_ok(enum pr_class c)
{
	return c != PR_BLK_ZERO && c != PR_BLK_CORRUPT;
}

/* Rebuild the expected block, with the received block's algorithm. */
static void build_expected(struct vbad *b)
{
	enum pr_csum_alg alg = pr_csum_current();
	struct pr_stamp s = {
		.file_id = b->e->file_id,
		.gen = b->e->gen,
		.offset = b->e->offset,
		.seed = b->e->seed,
		.writer = b->e->by_device ? PR_W_RDMA : PR_W_NONE,
	};

	if (b->e->gen == PR_GEN_HOLE) {
		memset(b->exp, 0, b->bs);
		return;
	}
	if (hdr_ok(b->cls)) {
		alg = b->hdr.csum_alg;
		s.writer = b->hdr.writer;
	}
	pr_blk_fill_alg(b->exp, b->bs, &s, alg);
}

/* "no valid header (first bytes 00 11 ..)" */
static void fmt_no_header(const unsigned char *p, char *buf, size_t len)
{
	size_t n = snprintf(buf, len, "no valid header (first bytes");

	for (int i = 0; i < 8 && n < len; i++)
		n += snprintf(buf + n, len - n, " %02x", p[i]);
	if (n < len)
		snprintf(buf + n, len - n, " ..)");
}

static void fmt_received(const struct vbad *b, char *buf, size_t len)
{
	const struct pr_blk_hdr *h = &b->hdr;
	const unsigned char *p = b->blk;
	uint64_t csum;
	size_t n;

	if (!hdr_ok(b->cls)) {
		fmt_no_header(p, buf, len);
		return;
	}
	csum = pr_csum(h->csum_alg, p + PR_BLK_HDR_LEN, b->bs - PR_BLK_HDR_LEN);
	n = snprintf(buf, len,
		     "file_id=%" PRIu32 " gen=%" PRIu32 " offset=%" PRIu64
		     " csum=0x%" PRIx64 "(%s)",
		     h->file_id, h->gen, h->offset, csum,
		     pr_csum_name(h->csum_alg));
	if (h->seed != b->e->seed && n < len)
		snprintf(buf + n, len - n, " seed=0x%" PRIx64 " not 0x%" PRIx64,
			 h->seed, b->e->seed);
}

/* The fio-style line for a bad block, without the TAP "# " prefix. */
static void fmt_bad(const struct vbad *b, const char *fname, char *buf,
		    size_t len)
{
	const struct pr_blk_hdr *x = (const void *)b->exp;
	char rcv[200];

	fmt_received(b, rcv, sizeof(rcv));
	if (b->e->gen == PR_GEN_HOLE) {
		snprintf(
			buf, len,
			"verify failed at file %s offset %" PRIu64
			", length %zu: expected a hole (zeros), received %s [%s]",
			fname ? fname : "?", b->pos, b->bs, rcv,
			pr_class_name(b->cls));
		return;
	}
	snprintf(buf, len,
		 "verify failed at file %s offset %" PRIu64 ", length %zu: "
		 "expected file_id=%" PRIu32 " gen=%" PRIu32 " offset=%" PRIu64
		 " csum=0x%" PRIx64 "(%s), received %s [%s]",
		 fname ? fname : "?", b->pos, b->bs, x->file_id, x->gen,
		 x->offset, x->data_csum, pr_csum_name(x->csum_alg), rcv,
		 pr_class_name(b->cls));
}

/* mkdir -p; 0 or -1 with errno set. */
static int mkdir_p(const char *dir)
{
	char path[512];
	size_t n = strlen(dir);

	if (n == 0 || n >= sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(path, dir, n + 1);
	for (char *s = path + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(path, 0755) && errno != EEXIST)
			return -1;
		*s = '/';
	}
	if (mkdir(path, 0755) && errno != EEXIST)
		return -1;
	return 0;
}

static int write_file(const char *path, const void *buf, size_t len)
{
	const char *p = buf;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0)
		return -1;
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			close(fd);
			return -1;
		}
		p += n;
		len -= n;
	}
	return close(fd);
}

static int dump_bad(const struct vbad *b, const char *dumpdir,
		    const char *label)
{
	char path[1024];

	if (mkdir_p(dumpdir))
		return -1;
	snprintf(path, sizeof(path), "%s/%s.%" PRIu64 ".expected", dumpdir,
		 label ? label : "blk", b->pos);
	if (write_file(path, b->exp, b->bs))
		return -1;
	snprintf(path, sizeof(path), "%s/%s.%" PRIu64 ".received", dumpdir,
		 label ? label : "blk", b->pos);
	return write_file(path, b->blk, b->bs);
}

/* Everything done for a bad block: the report, a line, maybe a dump. */
static void on_bad(struct vbad *b, struct pr_vreport *rep, unsigned int nbad,
		   const char *fname, const char *dumpdir, const char *label)
{
	int first = rep->first_bad < 0;
	int print = nbad <= PR_VERIFY_MAX_LINES;
	int dump = dumpdir && rep->ndumped < PR_VERIFY_MAX_DUMPS;
	char msg[sizeof(rep->first_msg)];

	if (!first && !print && !dump)
		return;
	build_expected(b);
	fmt_bad(b, fname, msg, sizeof(msg));
	if (first) {
		rep->first_bad = b->pos;
		rep->first_class = b->cls;
		memcpy(rep->first_msg, msg, sizeof(msg));
	}
	if (print) {
		printf("# %s\n", msg);
		fflush(stdout);
	}
	if (dump) {
		rep->ndumped++;
		if (dump_bad(b, dumpdir, label)) {
			printf("# dumping to %s failed: %s\n", dumpdir,
			       strerror(errno));
			fflush(stdout);
		}
	}
}

/*
 * Where block i's expectation comes from: a base that advances by the
 * block size (a range), or per-block arrays (a model, with history).
 */
struct esrc {
	const struct pr_expect *base;
	const struct pr_expect *cur, *prev;
	uint64_t pos0; /* file offset of the first block */
};

/* Against the model: the current state, else the state before (the
 * judge decides; nothing is excused here). */
static enum pr_class classify_model(const void *blk, size_t bs,
				    const struct pr_expect *cur,
				    const struct pr_expect *prev,
				    struct pr_blk_hdr *h)
{
	struct pr_judgement j = {.cand = cur, .ncand = 1, .old = prev};
	struct pr_verdict v = pr_judge(blk, bs, &j);

	if (v.cls != PR_BLK_OK)
		pr_verify_block(blk, bs,
				cur->gen == PR_GEN_HOLE && prev ? prev : cur,
				h);
	return v.cls;
}

/*
 * The checksums keep up with memory only when it arrives ahead of them: the
 * hardware prefetchers stop at page boundaries, and each block is a page.
 * Ask for block @i + PF_BLOCKS while block @i is checked (never faults),
 * non-temporally: each block is read once, and what comes in for it should
 * not push out what stays.  Measured over 64 MiB flushed from the caches
 * (bench-verify, AMD EPYC): 4 blocks ahead, kept, XXH3 ran at 34-36 GB/s;
 * 2 blocks ahead, non-temporal, at 38-40 (plain reading: 42-44); in cache
 * the same.
 */
#define PF_BLOCKS 2
static inline void prefetch_ahead(const unsigned char *p, size_t i, size_t n,
				  size_t bs)
{
	const unsigned char *q = p + (i + PF_BLOCKS) * bs;

	if (i + PF_BLOCKS >= n)
		return;
	for (size_t off = 0; off < bs; off += 64)
		__builtin_prefetch(q + off, 0, 0);
}

static uint64_t verify_blocks(const unsigned char *p, size_t n, size_t bs,
			      const struct esrc *src, const char *fname,
			      const char *dumpdir, const char *label,
			      struct pr_vreport *rep)
{
	struct pr_expect be;
	struct vbad b = {.bs = bs, .e = &be};
	uint64_t nbad = 0;

	if (bs < PR_BLK_MIN)
		return 0;
	for (size_t i = 0; i < n; i++) {
		const void *blk = p + i * bs;
		enum pr_class c;

		prefetch_ahead(p, i, n, bs);
		if (src->base) {
			be = *src->base;
			be.offset = src->base->offset + i * bs;
			c = pr_verify_block(blk, bs, &be, &b.hdr);
		} else {
			be = src->cur[i];
			c = classify_model(blk, bs, &src->cur[i],
					   src->prev ? &src->prev[i] : NULL,
					   &b.hdr);
		}
		rep->nblocks++;
		rep->count[c]++;
		if (c == PR_BLK_OK)
			continue;
		nbad++;
		if (!b.exp && !(b.exp = malloc(bs)))
			continue; /* counted; no room to say more */
		b.blk = blk;
		b.pos = src->pos0 + i * bs;
		b.cls = c;
		on_bad(&b, rep, nbad, fname, dumpdir, label);
	}
	if (nbad > PR_VERIFY_MAX_LINES) {
		printf("# ... and %" PRIu64 " more bad blocks in %s\n",
		       nbad - PR_VERIFY_MAX_LINES, fname ? fname : "?");
		fflush(stdout);
	}
	free(b.exp);
	return nbad;
}

uint64_t pr_verify_range(const void *buf, size_t len, size_t bs,
			 const struct pr_expect *e, const char *fname,
			 const char *dumpdir, const char *label,
			 struct pr_vreport *rep)
{
	struct esrc src = {.base = e, .pos0 = e->offset};

	return verify_blocks(buf, bs ? len / bs : 0, bs, &src, fname, dumpdir,
			     label, rep);
}

uint64_t pr_verify_model(const void *buf, size_t n, size_t bs,
			 const struct pr_expect *cur,
			 const struct pr_expect *prev, const char *fname,
			 const char *dumpdir, const char *label,
			 struct pr_vreport *rep)
{
	struct esrc src = {.cur = cur, .prev = prev, .pos0 = 0};

	return verify_blocks(buf, n, bs, &src, fname, dumpdir, label, rep);
}
