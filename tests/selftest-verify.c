// SPDX-License-Identifier: GPL-2.0
/*
 * Description: the verifier names every kind of damage.  A buffer of
 * blocks is stamped, a fault is injected into a few of them (an older
 * generation, another file's block, a flipped bit, a hole, ...), and
 * pr_verify_range() must report exactly those blocks with exactly that
 * class, for every checksum algorithm this CPU can run.  Also checks that
 * every CRC32C implementation gives the bitwise reference's values.  No
 * kernel features needed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

#include "pinrace.h"

#define BS 4096
#define NBLK 64
#define BASE (1u << 20) /* file offset of block 0 */
#define FILE_ID 7
#define GEN 2

static const int victims[] = {3, 17}; /* blocks a fault is injected into */
#define NVICTIM (sizeof(victims) / sizeof(victims[0]))

struct fault;

/* One round of a check, with @alg for every block it stamps. */
typedef int (*check_fn)(struct pr_ctx *ctx, const struct fault *f,
			enum pr_csum_alg alg, char *why, size_t len);

struct fault {
	check_fn check;
	int per_alg;	   /* run once per available algorithm */
	enum pr_class cls; /* what the verifier must call the victims */
	int by_device;	   /* the expectation's by_device */
	/* Damage block @k, stamped as @s, in place; NULL: leave it good. */
	void (*inject)(unsigned char *blk, const struct pr_stamp *s,
		       enum pr_csum_alg alg, int k);
};

static void restamp(unsigned char *blk, struct pr_stamp s, uint32_t file_id,
		    uint32_t gen, uint64_t offset, uint64_t seed,
		    enum pr_csum_alg alg)
{
	s.file_id = file_id;
	s.gen = gen;
	s.offset = offset;
	s.seed = seed;
	pr_blk_fill_alg(blk, BS, &s, alg);
}

static void inj_older(unsigned char *blk, const struct pr_stamp *s,
		      enum pr_csum_alg alg, int k)
{
	(void)k;
	restamp(blk, *s, s->file_id, s->gen - 1, s->offset, s->seed, alg);
}

static void inj_newer(unsigned char *blk, const struct pr_stamp *s,
		      enum pr_csum_alg alg, int k)
{
	(void)k;
	restamp(blk, *s, s->file_id, s->gen + 1, s->offset, s->seed, alg);
}

static void inj_moved(unsigned char *blk, const struct pr_stamp *s,
		      enum pr_csum_alg alg, int k)
{
	(void)k;
	restamp(blk, *s, s->file_id, s->gen, s->offset + BS, s->seed, alg);
}

static void inj_other_file(unsigned char *blk, const struct pr_stamp *s,
			   enum pr_csum_alg alg, int k)
{
	(void)k;
	restamp(blk, *s, s->file_id + 1, s->gen, s->offset, s->seed, alg);
}

static void inj_other_run(unsigned char *blk, const struct pr_stamp *s,
			  enum pr_csum_alg alg, int k)
{
	(void)k;
	restamp(blk, *s, s->file_id, s->gen, s->offset, ~s->seed, alg);
}

/* A flipped data bit, or a set bit between the header and the data. */
static void inj_data_bit(unsigned char *blk, const struct pr_stamp *s,
			 enum pr_csum_alg alg, int k)
{
	(void)s;
	(void)alg;
	if (k == victims[0])
		blk[PR_BLK_HDR_LEN + 97 * k] ^= 1u << (k % 8);
	else
		blk[PR_BLK_HDR_LEN - 1] ^= 0x80;
}

/* A flipped header bit, or an algorithm id nobody knows. */
static void inj_hdr_bit(unsigned char *blk, const struct pr_stamp *s,
			enum pr_csum_alg alg, int k)
{
	struct pr_blk_hdr *h = (void *)blk;

	(void)s;
	(void)alg;
	if (k == victims[0])
		blk[offsetof(struct pr_blk_hdr, gen)] ^= 0x10;
	else
		h->csum_alg = PR_CSUM_NALG;
}

static void inj_zero(unsigned char *blk, const struct pr_stamp *s,
		     enum pr_csum_alg alg, int k)
{
	(void)s;
	(void)alg;
	(void)k;
	memset(blk, 0, BS);
}

static void stamp_of(int k, uint64_t seed, struct pr_stamp *s)
{
	*s = (struct pr_stamp){
		.file_id = FILE_ID,
		.gen = GEN,
		.offset = BASE + (uint64_t)k * BS,
		.seed = seed,
		.writer = PR_W_PWRITE,
	};
}

static void stamp_buf(unsigned char *buf, int nblk, uint64_t seed,
		      enum pr_csum_alg alg)
{
	struct pr_stamp s;

	for (int k = 0; k < nblk; k++) {
		stamp_of(k, seed, &s);
		pr_blk_fill_alg(buf + (size_t)k * BS, BS, &s, alg);
	}
}

static int is_victim(int k, const struct fault *f)
{
	if (!f->inject)
		return 0;
	for (size_t i = 0; i < NVICTIM; i++)
		if (victims[i] == k)
			return 1;
	return 0;
}

/* Are the counts, the first bad block and the finding what was injected? */
static int check_report(const struct fault *f, const struct pr_vreport *r,
			uint64_t nbad, char *why, size_t len)
{
	uint64_t want = f->inject ? NVICTIM : 0;
	int64_t first = f->inject ? BASE + (int64_t)victims[0] * BS : -1;
	enum pr_finding fw = pr_class_finding(f->cls);

	for (int c = 0; c < PR_NCLASS; c++) {
		uint64_t n = c == (int)f->cls ? want : 0;

		if (c == PR_BLK_OK)
			n = NBLK - want;
		if (r->count[c] != n) {
			snprintf(why, len, "%llu blocks %s, expected %llu",
				 (unsigned long long)r->count[c],
				 pr_class_name(c), (unsigned long long)n);
			return -1;
		}
	}
	if (nbad != want || r->nblocks != NBLK) {
		snprintf(why, len, "returned %llu bad of %llu, expected %llu",
			 (unsigned long long)nbad,
			 (unsigned long long)r->nblocks,
			 (unsigned long long)want);
		return -1;
	}
	if (r->first_bad != first || (want && r->first_class != f->cls)) {
		snprintf(why, len, "first bad %lld (%s), expected %lld",
			 (long long)r->first_bad, pr_class_name(r->first_class),
			 (long long)first);
		return -1;
	}
	if (pr_vreport_finding(r, 1) != fw ||
	    pr_vreport_finding(r, 0) !=
		    (f->cls == PR_BLK_ZERO ? PR_F_NONE : fw)) {
		snprintf(why, len, "finding %s",
			 pr_finding_name(pr_vreport_finding(r, 1)));
		return -1;
	}
	return 0;
}

/* Read @path, which must be exactly @len bytes long. */
static int read_whole(const char *path, unsigned char *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	struct stat st;
	ssize_t n;

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) || st.st_size != (off_t)len) {
		close(fd);
		return -1;
	}
	n = read(fd, buf, len);
	close(fd);
	return n == (ssize_t)len ? 0 : -1;
}

/*
 * The dumps of block @k: ".received" is the damaged block, ".expected"
 * carries the good block's data (its header's checksums may use another
 * algorithm when the received header was unreadable).
 */
static int check_dump(const char *dir, const char *label, int k,
		      const unsigned char *got, const unsigned char *good,
		      char *why, size_t len)
{
	unsigned char buf[BS];
	char path[1024];
	uint64_t off = BASE + (uint64_t)k * BS;

	snprintf(path, sizeof(path), "%s/%s.%llu.received", dir, label,
		 (unsigned long long)off);
	if (read_whole(path, buf, BS) || memcmp(buf, got, BS))
		goto bad;
	snprintf(path, sizeof(path), "%s/%s.%llu.expected", dir, label,
		 (unsigned long long)off);
	if (read_whole(path, buf, BS) ||
	    memcmp(buf + PR_BLK_HDR_LEN, good + PR_BLK_HDR_LEN,
		   BS - PR_BLK_HDR_LEN))
		goto bad;
	return 0;
bad:
	snprintf(why, len, "dump %s missing or wrong", path);
	return -1;
}

static int check_fault(struct pr_ctx *ctx, const struct fault *f,
		       enum pr_csum_alg alg, char *why, size_t len)
{
	static unsigned char buf[NBLK * BS], good[NBLK * BS];
	const struct pr_expect e = {
		.file_id = FILE_ID,
		.gen = GEN,
		.offset = BASE,
		.seed = ctx->seed,
		.by_device = f->by_device,
	};
	const char *dir = pr_dumpdir(ctx);
	struct pr_vreport r;
	char label[64];
	uint64_t nbad;

	stamp_buf(good, NBLK, ctx->seed, alg);
	memcpy(buf, good, sizeof(buf));
	for (int k = 0; k < NBLK; k++) {
		struct pr_stamp s;

		stamp_of(k, ctx->seed, &s);
		if (is_victim(k, f))
			f->inject(buf + (size_t)k * BS, &s, alg, k);
	}
	snprintf(label, sizeof(label), "%s", pr_csum_name(alg));
	pr_vreport_init(&r);
	nbad = pr_verify_range(buf, sizeof(buf), BS, &e, "selftest", dir, label,
			       &r);
	if (check_report(f, &r, nbad, why, len))
		return -1;
	for (size_t i = 0; dir && f->inject && i < NVICTIM; i++) {
		size_t at = (size_t)victims[i] * BS;

		if (check_dump(dir, label, victims[i], buf + at, good + at, why,
			       len))
			return -1;
	}
	return 0;
}

/* CRC32C one bit at a time: the reference the implementations answer to. */
static uint32_t crc32c_bitwise(const unsigned char *p, size_t n)
{
	uint32_t crc = ~0u;

	while (n--) {
		crc ^= *p++;
		for (int i = 0; i < 8; i++)
			crc = (crc >> 1) ^ (0x82f63b78u & -(crc & 1));
	}
	return ~crc;
}

static const enum pr_csum_alg crc_impls[] = {
	PR_CSUM_CRC32C_SW,
	PR_CSUM_CRC32C_HW,
	PR_CSUM_CRC32C_FOLD,
};
#define NIMPL (sizeof(crc_impls) / sizeof(crc_impls[0]))

/* 1 and a why when an implementation differs from @want over @p, @n. */
static int crc_differs(uint32_t want, const unsigned char *p, size_t n,
		       size_t at, char *why, size_t len)
{
	for (size_t i = 0; i < NIMPL; i++) {
		uint64_t got = pr_csum(crc_impls[i], p, n);

		if (got == want)
			continue;
		snprintf(why, len, "%s: %zu bytes at +%zu: %#llx, not %#x",
			 pr_csum_name(crc_impls[i]), n, at,
			 (unsigned long long)got, want);
		return 1;
	}
	return 0;
}

/*
 * Every CRC32C implementation (tables, crc32 streams, folding) gives the
 * bitwise reference's value: "123456789" is 0xe3069283; then every length
 * from 0 past one 4032-byte round and around the end of two, at offsets
 * drawn from a fixed seed (the tables checked against the bits, the rest
 * against the tables), and long buffers where the prefetching paths run.
 */
static int check_crc_equal(struct pr_ctx *ctx, const struct fault *f,
			   enum pr_csum_alg alg, char *why, size_t len)
{
	static unsigned char buf[(1 << 20) + 64];
	static const size_t big[] = {65472, 3 * 4032 + 8192 + 5, 262144 + 17,
				     sizeof(buf) - 64};
	static const size_t every[][2] = {{0, 4032 + 320},
					  {2 * 4032 - 8, 2 * 4032 + 72}};
	const size_t bitwise = 1100;
	uint64_t x = 0x9e3779b97f4a7c15ull;

	(void)ctx;
	(void)f;
	(void)alg;
	if (crc32c_bitwise((const unsigned char *)"123456789", 9) !=
		    0xe3069283 ||
	    crc_differs(0xe3069283, (const unsigned char *)"123456789", 9, 0,
			why, len))
		goto fail;
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (unsigned char)(i * 7919 + (i >> 11) * 31);
	for (size_t r = 0; r < sizeof(every) / sizeof(every[0]); r++) {
		for (size_t n = every[r][0]; n <= every[r][1]; n++) {
			size_t at =
				(x ^= x << 13, x ^= x >> 7, x ^= x << 17) % 64;
			const unsigned char *p = buf + at;
			uint32_t want =
				n <= bitwise ? crc32c_bitwise(p, n)
					     : pr_csum(PR_CSUM_CRC32C_SW, p, n);

			if (crc_differs(want, p, n, at, why, len))
				goto fail;
		}
	}
	for (size_t i = 0; i < sizeof(big) / sizeof(big[0]); i++) {
		size_t at = (x ^= x << 13, x ^= x >> 7, x ^= x << 17) % 64;

		if (crc_differs(pr_csum(PR_CSUM_CRC32C_SW, buf + at, big[i]),
				buf + at, big[i], at, why, len))
			goto fail;
	}
	for (size_t i = 0; i < NIMPL; i++)
		if (!pr_csum_available(crc_impls[i]))
			pr_diag("%s cannot run here: its blocks were checked by another implementation",
				pr_csum_name(crc_impls[i]));
	return 0;
fail:
	if (!why[0])
		snprintf(why, len, "the bitwise reference is wrong");
	return -1;
}

/* Any block size, any algorithm: stamped blocks verify, deterministically. */
static int check_roundtrip(struct pr_ctx *ctx, const struct fault *f,
			   enum pr_csum_alg alg, char *why, size_t len)
{
	static const size_t sizes[] = {512, 1536, 4096, 65536};
	static unsigned char a[4 << 16], b[4 << 16];
	const struct pr_stamp s0 = {FILE_ID, GEN, BASE, ctx->seed, 0};
	const struct pr_expect e = {FILE_ID, GEN, BASE, ctx->seed, 0};

	(void)f;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t bs = sizes[i], n = sizeof(a) / bs * bs;
		struct pr_vreport r;
		struct pr_stamp s = s0;

		for (size_t off = 0; off < n; off += bs) {
			s.offset = BASE + off;
			pr_blk_fill_alg(a + off, bs, &s, alg);
		}
		pr_vreport_init(&r);
		if (pr_verify_range(a, n, bs, &e, "roundtrip", NULL, NULL,
				    &r) ||
		    r.count[PR_BLK_OK] != n / bs) {
			snprintf(why, len, "bs %zu: %s", bs, r.first_msg);
			return -1;
		}
		if (alg != pr_csum_current())
			continue;
		pr_blk_fill_range(b, n, bs, &s0);
		if (memcmp(a, b, n)) {
			snprintf(why, len, "bs %zu: fill_range differs", bs);
			return -1;
		}
	}
	return 0;
}

static const struct fault f_stale = {check_fault, 1, PR_BLK_STALE, 0,
				     inj_older};
static const struct fault f_lost = {check_fault, 1, PR_BLK_LOST, 1, inj_older};
static const struct fault f_future = {check_fault, 1, PR_BLK_FUTURE, 0,
				      inj_newer};
static const struct fault f_misplaced = {check_fault, 1, PR_BLK_MISPLACED, 0,
					 inj_moved};
static const struct fault f_cross = {check_fault, 1, PR_BLK_CROSS, 0,
				     inj_other_file};
static const struct fault f_other_run = {check_fault, 1, PR_BLK_CROSS, 0,
					 inj_other_run};
static const struct fault f_torn = {check_fault, 1, PR_BLK_TORN, 0,
				    inj_data_bit};
static const struct fault f_corrupt = {check_fault, 1, PR_BLK_CORRUPT, 0,
				       inj_hdr_bit};
static const struct fault f_zero = {check_fault, 1, PR_BLK_ZERO, 0, inj_zero};
static const struct fault f_ok = {check_fault, 1, PR_BLK_OK, 0, NULL};
static const struct fault f_crc = {check_crc_equal, 0, PR_BLK_OK, 0, NULL};
static const struct fault f_roundtrip = {check_roundtrip, 1, PR_BLK_OK, 0,
					 NULL};

/* Every class against every context: what the judge excuses, and why. */
static const struct {
	const struct fault *f;
	enum pr_excuse ex; /* the one context that excuses it */
} judged[] = {
	{&f_ok, PR_EX_NONE},
	{&f_stale, PR_EX_NONE},
	{&f_lost, PR_EX_NONE},
	{&f_future, PR_EX_IN_FLIGHT},
	{&f_misplaced, PR_EX_MOVED},
	{&f_cross, PR_EX_SOURCE}, /* the other file is the source */
	{&f_other_run, PR_EX_NONE},
	{&f_torn, PR_EX_IN_FLIGHT},
	{&f_corrupt, PR_EX_IN_FLIGHT},
	{&f_zero, PR_EX_HOLES},
};

static int judge_one(const struct fault *f, enum pr_excuse want_ex,
		     enum pr_excuse x, const unsigned char *blk,
		     const struct pr_stamp *st, char *why, size_t len)
{
	struct pr_expect e = {.file_id = FILE_ID,
			      .gen = x == PR_EX_UNDEFINED ? PR_GEN_ANY : GEN,
			      .offset = st->offset,
			      .seed = st->seed,
			      .by_device = f->by_device};
	struct pr_judgement j = {.cand = &e,
				 .ncand = 1,
				 .allow = x ? PR_EXF(x) : 0,
				 .src_id = FILE_ID + 1};
	struct pr_verdict v = pr_judge(blk, BS, &j);
	enum pr_class cls = x == PR_EX_UNDEFINED ? PR_BLK_OK : f->cls;
	enum pr_excuse ex = x == PR_EX_UNDEFINED		  ? x
			    : f->cls != PR_BLK_OK && x == want_ex ? x
								  : PR_EX_NONE;

	if (v.cls == cls && v.why == ex && v.strict == (x == PR_EX_NONE))
		return 0;
	snprintf(
		why, len,
		"%s block in context %s: judged %s, excused %s, strict %d; want %s, %s, %d",
		pr_class_name(f->cls), pr_excuse_name(x), pr_class_name(v.cls),
		pr_excuse_name(v.why), v.strict, pr_class_name(cls),
		pr_excuse_name(ex), x == PR_EX_NONE);
	return -1;
}

static int check_judge(struct pr_ctx *ctx, const struct fault *unused,
		       enum pr_csum_alg alg, char *why, size_t len)
{
	unsigned char blk[BS];
	struct pr_stamp st;

	(void)unused;
	stamp_of(victims[0], ctx->seed, &st);
	for (size_t i = 0; i < sizeof(judged) / sizeof(judged[0]); i++) {
		const struct fault *f = judged[i].f;

		pr_blk_fill_alg(blk, BS, &st, alg);
		if (f->inject)
			f->inject(blk, &st, alg, victims[0]);
		for (int x = PR_EX_NONE; x < PR_NEXCUSE; x++)
			if (judge_one(f, judged[i].ex, x, blk, &st, why, len))
				return -1;
	}
	return 0;
}

/*
 * fork-cow's check that a block met mid-read is two versions of itself
 * spliced at one point: a splice passes, a flipped byte, a third segment
 * and a block of no version fail.
 */
static int check_splice(struct pr_ctx *ctx, const struct fault *unused,
			enum pr_csum_alg alg, char *why, size_t len)
{
	static unsigned char v[2][BS], blk[BS];
	const unsigned char *vers[2] = {v[0], v[1]};
	struct pr_stamp st;
	struct {
		const char *what;
		size_t cut, back; /* v0 up to cut, v1, v0 again from back */
		int flip, want;
	} cases[] = {
		{"spliced at 1000", 1000, BS, 0, 1},
		{"spliced inside the header", 20, BS, 0, 1},
		{"spliced, one byte flipped", 1000, BS, 1, 0},
		{"three segments", 1000, 3000, 0, 0},
	};

	(void)unused;
	stamp_of(0, ctx->seed, &st);
	pr_blk_fill_alg(v[0], BS, &st, alg);
	st.gen++;
	pr_blk_fill_alg(v[1], BS, &st, alg);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memcpy(blk, v[1], BS);
		memcpy(blk, v[0], cases[i].cut);
		memcpy(blk + cases[i].back, v[0] + cases[i].back,
		       BS - cases[i].back);
		if (cases[i].flip)
			blk[2000] ^= 0x5a;
		if (pr_judge_spliced(blk, BS, vers, 2) != cases[i].want) {
			snprintf(why, len, "%s: spliced() said %d",
				 cases[i].what, !cases[i].want);
			return -1;
		}
	}
	return 0;
}

static const struct fault f_judge = {check_judge, 1, PR_BLK_OK, 0, NULL};
static const struct fault f_splice = {check_splice, 1, PR_BLK_OK, 0, NULL};

static const struct pr_variant variants[] = {
	{"stale", 0, &f_stale},
	{"lost", 0, &f_lost},
	{"future", 0, &f_future},
	{"misplaced", 0, &f_misplaced},
	{"cross-file", 0, &f_cross},
	{"cross-run", 0, &f_other_run},
	{"torn", 0, &f_torn},
	{"corrupt", 0, &f_corrupt},
	{"zero", 0, &f_zero},
	{"ok", 0, &f_ok},
	{"crc32c-every-impl-equals-reference", 0, &f_crc},
	{"every-alg-roundtrip", 0, &f_roundtrip},
	{"judge-every-class-every-context", 0, &f_judge},
	{"fork-cow-splice", 0, &f_splice},
	{NULL, 0, NULL},
};

static void body(struct pr_ctx *ctx, const struct pr_case *c,
		 struct pr_result *res)
{
	const struct fault *f = c->variant->priv;
	char why[256];

	for (int a = PR_CSUM_NONE + 1; a < PR_CSUM_NALG; a++) {
		if (f->per_alg && !pr_csum_available(a))
			continue;
		why[0] = '\0';
		if (f->check(ctx, f, a, why, sizeof(why)))
			pr_fail(res, PR_F_SELFTEST, "%s: %s", pr_csum_name(a),
				why);
		if (!f->per_alg)
			break;
	}
}

static const struct pr_test t = {
	.name = "selftest-verify",
	.desc = "the block verifier names every injected fault",
	.variants = variants,
	.body = body,
};

PR_TEST_MAIN(t)
