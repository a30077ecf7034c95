// SPDX-License-Identifier: GPL-2.0
/*
 * Description: registration churn and pin leaks (seed 003: a bad unmap
 * that leaks quietly until later maps fail).  Thousands of register and
 * deregister cycles of varied sizes and alignments over anonymous memory
 * and a page-cache file; ranges that must fail (partly unmapped,
 * PROT_NONE, past the end of a file, zero length); an unprivileged user
 * past RLIMIT_MEMLOCK.  Around each, the machine's FOLL_PIN counters must
 * balance: pins held now = pins held before + pages our live MRs span.
 * Anything else is a pin-leak finding with the count.  The self-test
 * leaks an MR on purpose and must be caught.
 */
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "anon.h"
#include "backing.h"
#include "peer.h"
#include "pinrace.h"
#include "rng.h"
#include "verbs.h"
#include "vmstat.h"
#include "xfercheck.h"

#define PAGE 4096ul
#define REGION (4ul << 20)     /* memory the cycles register from */
#define POOL 8		       /* MRs alive at once */
#define CYCLES_PER_SECOND 1000 /* registrations per profile second */
#define RETRY_MS 300	       /* second look at an imbalance */
#define NOBODY 65534
#define MEMLOCK (64ul << 10) /* the unprivileged user's limit */
#define RW                                                                     \
	(IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_READ |                     \
	 IBV_ACCESS_REMOTE_WRITE)
#define RO IBV_ACCESS_REMOTE_READ

enum kind { K_CYCLES, K_BAD, K_UNPRIV, K_LEAK };
enum bad { B_NONE, B_UNMAPPED, B_PROT_NONE, B_PAST_EOF, B_ZERO };

struct churn_variant {
	enum kind kind;
	int file; /* a page-cache file mapping, else anonymous memory */
	int access;
	enum bad bad;
};

/* What the unprivileged child did, in memory shared with the parent. */
struct unpriv {
	uid_t uid, euid;
	gid_t gid;
	unsigned long long memlock;
	int small_err, big_err; /* errno of each registration, 0: it held */
	char err[256];		/* why the child could not start */
};

struct churn {
	struct pr_ctx *ctx;
	struct pr_result *res;
	const struct churn_variant *v;
	struct pr_rdma rdma;
	struct pr_pins base;
	struct pr_anon anon;
	struct pr_file f;
	char *mem; /* the region: anon.addr or f.map */
	size_t len;
	uint64_t rng;
	long long known; /* pages our live MRs pin beyond the baseline */
	unsigned long regs, refused;
	int refused_err;
};

static uint64_t rnd(struct churn *m)
{
	return pr_rng(&m->rng);
}

static long long pages(const void *addr, size_t len)
{
	uintptr_t a = (uintptr_t)addr;

	if (!len)
		return 0;
	return ((a + len + PAGE - 1) / PAGE) - a / PAGE;
}

/* Pins held must be the baseline plus what our live MRs span. */
static int settle(struct churn *m, const char *when)
{
	struct pr_pins now;
	long long excess;
	int rc = pr_pins_excess(&m->base, m->known, RETRY_MS, &excess, &now);

	if (rc) {
		pr_error(m->res, -rc, "reading /proc/vmstat: %s",
			 strerror(-rc));
		return -1;
	}
	if (!excess)
		return 0;
	pr_fail(m->res, PR_F_PIN_LEAK,
		"%s: %lld page pin(s) %s (held %lld, at the start %lld, our live MRs %lld; seen twice %d ms apart)",
		when, llabs(excess),
		excess > 0 ? "held that no live MR accounts for"
			   : "released more than once",
		pr_pins_held(&now), pr_pins_held(&m->base), m->known, RETRY_MS);
	return -1;
}

static int baseline(struct churn *m)
{
	int rc = pr_pins_read(&m->base);

	if (rc == -ENOENT)
		pr_skip(m->res,
			"no nr_foll_pin_acquired/released in /proc/vmstat (kernel before 5.7)");
	else if (rc)
		pr_error(m->res, -rc, "reading the pin counters: %s",
			 strerror(-rc));
	return rc ? -1 : 0;
}

/* A deterministic pattern, so the device's view can be compared. */
static void fill(char *p, size_t len, uint64_t seed)
{
	for (size_t i = 0; i + 8 <= len; i += 8) {
		uint64_t w = (i * 0x9e3779b97f4a7c15ull) ^ seed;

		memcpy(p + i, &w, 8);
	}
}

static int map_region(struct churn *m, size_t len)
{
	int rc;

	m->len = len;
	if (!m->v->file) {
		rc = pr_anon_map(&m->anon, len, 2u << 20, 1);
		if (rc == -EINVAL) { /* no THP (PREEMPT_RT): 4 KiB pages */
			pr_note(m->res,
				"MADV_HUGEPAGE refused (EINVAL): no transparent huge pages in this kernel (CONFIG_TRANSPARENT_HUGEPAGE), 4 KiB pages");
			rc = pr_anon_map(&m->anon, len, 2u << 20, 0);
		}
		m->mem = m->anon.addr;
	} else if (!pr_backing_dir(&pr_backing_pagecache)) {
		pr_skip(m->res, "no page-cache directory ($%s unset)",
			pr_backing_pagecache.dir_env);
		return -1;
	} else {
		rc = pr_file_open(&pr_backing_pagecache, "churn", len, 1, 0,
				  &m->f);
		m->mem = m->f.map;
		if (!rc)
			unlink(m->f.path); /* nothing left if killed */
	}
	if (rc) {
		pr_error(m->res, -rc, "mapping %zu bytes: %s", len,
			 strerror(-rc));
		return -1;
	}
	fill(m->mem, len, m->ctx->seed);
	return 0;
}

/* Size and offset of the next registration: odd, page and block sizes. */
static void pick(struct churn *m, size_t *off, size_t *len)
{
	static const size_t sizes[] = {1,	  100,	  4095,
				       4096,	  4097,	  12288,
				       65536 + 7, 262144, (1u << 20) - 3};
	static const size_t aligns[] = {PAGE, 512, 1};

	*len = sizes[rnd(m) % (sizeof(sizes) / sizeof(sizes[0]))];
	*off = rnd(m) % (m->len - *len + 1);
	*off -= *off % aligns[rnd(m) % 3];
	if (rnd(m) % 4 == 0) /* ending on a page boundary */
		*off = (*off / PAGE) * PAGE + PAGE - *len % PAGE;
	if (*off + *len > m->len)
		*off = m->len - *len;
}

/*
 * The device writes part of a fresh MR: the bytes must land where the CPU
 * sees them.  Read-only MRs get no device check: a READ would be the
 * first of a fresh MR, and on rxe since 6.12 such a READ, once
 * retransmitted (an ack timeout, common under TCG), never completes.
 */
static void check_device(struct churn *m, struct ibv_mr *mr, size_t len)
{
	size_t n = len < m->rdma.buf_len ? len : m->rdma.buf_len;
	size_t off = rnd(m) % (len - n + 1);
	char *cpu = (char *)mr->addr + off;

	fill(m->rdma.buf, n, rnd(m));
	if (pr_xfer(m->ctx, m->res, &m->rdma, 1, mr, off, n)) {
		pr_note(m->res,
			"RDMA WRITE of %zu bytes at offset %zu of the MR at %p+%zu (registration %lu)",
			n, off, mr->addr, len, m->regs);
		return;
	}
	if (memcmp(m->rdma.buf, cpu, n))
		pr_fail(m->res, PR_F_MISPLACED,
			"an RDMA WRITE of %zu bytes to %p: the CPU sees other bytes there",
			n, cpu);
}

struct slot {
	struct ibv_mr *mr;
	long long pages;
};

static void release(struct churn *m, struct slot *s)
{
	if (!s->mr)
		return;
	ibv_dereg_mr(s->mr);
	m->known -= s->pages;
	s->mr = NULL;
}

static void cycle(struct churn *m, struct slot *s)
{
	size_t off, len;
	int err;

	pick(m, &off, &len);
	s->mr = pr_rdma_reg(&m->rdma, m->mem + off, len, m->v->access, &err);
	if (!s->mr) {
		m->refused++;
		m->refused_err = err;
		return;
	}
	m->regs++;
	s->pages = pages(m->mem + off, len);
	m->known += s->pages;
	if ((m->v->access & IBV_ACCESS_REMOTE_WRITE) && m->regs % 16 == 0)
		check_device(m, s->mr, len);
}

static void cycles(struct churn *m)
{
	unsigned long want =
		(unsigned long)m->ctx->prof.duration * CYCLES_PER_SECOND;
	/* a safety net for slow machines; the count is what matters */
	time_t stop = time(NULL) + 5 * m->ctx->prof.duration + 20;
	struct slot pool[POOL] = {0};
	unsigned long tries;

	if (map_region(m, REGION) || baseline(m))
		return;
	for (tries = 0; tries < 4 * want && m->regs + m->refused < want;
	     tries++) {
		struct slot *s = &pool[rnd(m) % POOL];

		if (s->mr)
			release(m, s);
		else
			cycle(m, s);
		if (m->res->status != PR_PASS)
			break;
		if (time(NULL) > stop) {
			pr_note(m->res, "time is up after %lu of %lu", m->regs,
				want);
			break;
		}
		if (tries == want / 2 && settle(m, "midway, MRs alive"))
			break;
	}
	for (int i = 0; i < POOL; i++)
		release(m, &pool[i]);
	pr_note(m->res, "%lu registrations, %lu refused, %llu device writes",
		m->regs, m->refused, (unsigned long long)m->res->xfers);
	if (settle(m, "after the cycles") || m->res->status != PR_PASS)
		return;
	if (m->refused && !m->regs)
		pr_refused(m->res, m->refused_err,
			   "every registration refused (%s), nothing pinned",
			   strerrorname_np(m->refused_err));
	else if (m->refused)
		pr_fail(m->res, PR_F_ACCOUNTING,
			"%lu of %lu registrations of the same memory refused (%s)",
			m->refused, m->regs + m->refused,
			strerrorname_np(m->refused_err));
}

/* Make part of the region unusable; return the ranges to try in pages. */
static int spoil(struct churn *m)
{
	char *hole = m->mem + 32 * PAGE;

	switch (m->v->bad) {
	case B_UNMAPPED:
		return munmap(hole, 8 * PAGE) ? -errno : 0;
	case B_PROT_NONE:
		return mprotect(hole, 8 * PAGE, PROT_NONE) ? -errno : 0;
	case B_PAST_EOF: /* the file ends 1000 bytes into page 3 */
		return ftruncate(m->f.fd, 3 * PAGE + 1000) ? -errno : 0;
	default:
		return 0;
	}
}

static const char *const bad_names[] = {[B_UNMAPPED] = "partly unmapped",
					[B_PROT_NONE] = "PROT_NONE",
					[B_PAST_EOF] = "past end of file",
					[B_ZERO] = "zero-length"};

static void try_bad(struct churn *m, size_t first, size_t end)
{
	size_t len = m->v->bad == B_ZERO ? 0 : (end - first) * PAGE;
	char *addr = m->mem + first * PAGE, when[96];
	struct ibv_mr *mr;
	int err;

	mr = pr_rdma_reg(&m->rdma, addr, len, m->v->access, &err);
	snprintf(when, sizeof(when), "after a %s registration of pages %zu-%zu",
		 bad_names[m->v->bad], first, end);
	if (mr) {
		m->regs++;
		m->known += pages(addr, len);
		pr_fail(m->res, PR_F_ACCEPTED_INVALID,
			"a %s registration of pages %zu-%zu succeeded",
			bad_names[m->v->bad], first, end);
		settle(m, when);
		ibv_dereg_mr(mr);
		m->known -= pages(addr, len);
		return;
	}
	m->refused++;
	if (m->refused_err && m->refused_err != err)
		pr_note(m->res, "pages %zu-%zu: %s", first, end,
			strerrorname_np(err));
	m->refused_err = err;
	settle(m, when);
}

static void bad_ranges(struct churn *m)
{
	static const size_t firsts[] = {0, 8, 31, 33};
	static const size_t ends[] = {34, 40, 48, 64};
	int rc;

	if (map_region(m, 64 * PAGE))
		return;
	rc = spoil(m);
	if (rc) {
		pr_error(m->res, -rc, "making a %s range: %s",
			 bad_names[m->v->bad], strerror(-rc));
		return;
	}
	if (m->v->bad == B_PAST_EOF) /* the mapping runs on past the end */
		pr_note(m->res, "file of %u bytes mapped over %zu",
			3 * 4096 + 1000, m->len);
	if (baseline(m))
		return;
	for (size_t i = 0; i < 4; i++)
		for (size_t j = 0; j < 4; j++)
			if (firsts[i] < ends[j])
				try_bad(m, firsts[i], ends[j]);
	if (m->res->status == PR_PASS)
		pr_refused(
			m->res, m->refused_err,
			"all %lu %s registrations failed (%s), nothing pinned",
			m->refused, bad_names[m->v->bad],
			strerrorname_np(m->refused_err));
}

static int unpriv_child(struct pr_peer *p, void *arg)
{
	struct churn *m = arg;
	struct unpriv *u = (struct unpriv *)m->mem;
	struct rlimit rl = {MEMLOCK, MEMLOCK};
	int ms = m->ctx->prof.timeout * 1000;
	struct ibv_mr *small = NULL, *big = NULL;
	struct pr_rdma r;
	struct pr_anon a;

	if (setrlimit(RLIMIT_MEMLOCK, &rl) || setgroups(0, NULL) ||
	    setgid(NOBODY) || setuid(NOBODY)) {
		snprintf(u->err, sizeof(u->err), "dropping to uid %d: %s",
			 NOBODY, strerror(errno));
		return 2;
	}
	u->uid = getuid(), u->euid = geteuid(), u->gid = getgid();
	getrlimit(RLIMIT_MEMLOCK, &rl);
	u->memlock = rl.rlim_cur;
	if (pr_rdma_open(&r, m->ctx->rdma_dev, 0, u->err, sizeof(u->err)))
		return 3;
	if (pr_anon_map(&a, 64 * PAGE, PAGE, 0)) {
		snprintf(u->err, sizeof(u->err), "mmap: %s", strerror(errno));
		return 4;
	}
	memset(a.addr, 1, a.len);
	small = pr_rdma_reg(&r, a.addr, 8 * PAGE, RW, &u->small_err);
	if (pr_peer_send(p, 'M') || pr_peer_expect(p, 'G', ms))
		return 5;
	big = pr_rdma_reg(&r, (char *)a.addr + 16 * PAGE, 32 * PAGE, RW,
			  &u->big_err);
	if (pr_peer_send(p, 'M') || pr_peer_expect(p, 'G', ms))
		return 5;
	if (small)
		ibv_dereg_mr(small);
	if (big)
		ibv_dereg_mr(big);
	pr_rdma_close(&r);
	if (pr_peer_send(p, 'M') || pr_peer_expect(p, 'G', ms))
		return 5;
	return 0;
}

/*
 * The parent measures at each of the child's pauses: after the small
 * registration, after the one past the limit, after deregistering both.
 */
static int measure(struct churn *m, struct pr_peer *p, int step)
{
	static const char *const when[] = {
		"unprivileged, within RLIMIT_MEMLOCK",
		"unprivileged, past RLIMIT_MEMLOCK",
		"unprivileged, after deregistration",
	};
	const struct unpriv *u = (const struct unpriv *)m->mem;
	int ms = m->ctx->prof.timeout * 1000;

	if (pr_peer_expect(p, 'M', ms))
		return -1;
	m->known = 0;
	if (step < 2 && !u->small_err)
		m->known += 8;
	if (step == 1 && !u->big_err)
		m->known += 32;
	settle(m, when[step]);
	return pr_peer_send(p, 'G');
}

static void judge_unpriv(struct churn *m, const struct unpriv *u, int status)
{
	pr_note(m->res, "ran as uid %d euid %d gid %d, RLIMIT_MEMLOCK %llu",
		(int)u->uid, (int)u->euid, (int)u->gid, u->memlock);
	pr_diag("unprivileged part: uid %d euid %d gid %d, RLIMIT_MEMLOCK %llu",
		(int)u->uid, (int)u->euid, (int)u->gid, u->memlock);
	if (status || u->err[0])
		return pr_error(m->res, 0, "unprivileged child (status %d): %s",
				status, u->err);
	if (u->euid != NOBODY)
		return pr_error(m->res, 0, "the child is not unprivileged");
	if (u->small_err)
		return pr_error(m->res, u->small_err,
				"%lu bytes within RLIMIT_MEMLOCK refused: %s",
				8 * PAGE, strerror(u->small_err));
	if (!u->big_err)
		return pr_fail(
			m->res, PR_F_ACCOUNTING,
			"%lu more bytes past RLIMIT_MEMLOCK %llu registered as uid %d",
			32 * PAGE, u->memlock, (int)u->uid);
	if (u->big_err != ENOMEM)
		return pr_fail(m->res, PR_F_ACCOUNTING,
			       "past RLIMIT_MEMLOCK: %s, expected ENOMEM",
			       strerrorname_np(u->big_err));
	if (m->res->status == PR_PASS)
		pr_refused(
			m->res, u->big_err,
			"%lu bytes registered, %lu more past the limit refused whole (ENOMEM), nothing pinned",
			8 * PAGE, 32 * PAGE);
}

static void unprivileged(struct churn *m)
{
	struct pr_peer p = {.fd = -1};
	const struct unpriv *u;
	int rc;

	m->mem = mmap(NULL, sizeof(*u), PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (m->mem == MAP_FAILED) {
		m->mem = NULL;
		return pr_error(m->res, errno, "shared page: %s",
				strerror(errno));
	}
	u = (const struct unpriv *)m->mem;
	if (baseline(m))
		return;
	rc = pr_peer_start(&p, unpriv_child, m);
	if (rc)
		return pr_error(m->res, -rc, "fork: %s", strerror(-rc));
	for (int step = 0; step < 3 && !measure(m, &p, step); step++)
		;
	m->known = 0;
	rc = pr_peer_finish(&p, m->ctx->prof.timeout * 1000);
	judge_unpriv(m, u, rc);
	munmap(m->mem, sizeof(*u));
	m->mem = NULL;
}

/* Self-test: an MR the bookkeeping does not know about is a leak. */
static void leak(struct churn *m)
{
	struct ibv_mr *mr;
	int err;

	if (map_region(m, 16 * PAGE) || baseline(m))
		return;
	mr = pr_rdma_reg(&m->rdma, m->mem, m->len, RW, &err);
	if (!mr)
		return pr_error(m->res, err, "ibv_reg_mr: %s", strerror(err));
	settle(m, "with an MR registered and forgotten");
	ibv_dereg_mr(mr);
}

static void body(struct pr_ctx *ctx, const struct pr_case *c,
		 struct pr_result *res)
{
	struct churn m = {.ctx = ctx,
			  .res = res,
			  .v = c->variant->priv,
			  .f = {.fd = -1},
			  .rng = ctx->seed | 1};
	char err[256];
	int rc;

	if (m.v->kind == K_UNPRIV)
		return unprivileged(&m);
	rc = pr_rdma_open(&m.rdma, ctx->rdma_dev, 1u << 20, err, sizeof(err));
	if (rc)
		return pr_error(res, -rc, "%s", err);
	if (m.v->kind == K_CYCLES)
		cycles(&m);
	else if (m.v->kind == K_BAD)
		bad_ranges(&m);
	else
		leak(&m);
	pr_rdma_close(&m.rdma);
	pr_file_close(&m.f);
	pr_anon_unmap(&m.anon);
}

#define NEEDS (PR_NEED_RDMA | PR_NEED_ROOT)
#define V(n, ...)                                                              \
	{                                                                      \
		n, NEEDS, &(const struct churn_variant)                        \
		{                                                              \
			__VA_ARGS__                                            \
		}                                                              \
	}
static const struct pr_variant variants[] = {
	V("anon-cycles", .kind = K_CYCLES, .access = RW),
	V("pagecache-ro-cycles", .kind = K_CYCLES, .file = 1, .access = RO),
	V("pagecache-rw-cycles", .kind = K_CYCLES, .file = 1, .access = RW),
	V("partly-unmapped", .kind = K_BAD, .access = RW, .bad = B_UNMAPPED),
	V("prot-none", .kind = K_BAD, .access = RW, .bad = B_PROT_NONE),
	V("past-eof", .kind = K_BAD, .file = 1, .access = RO,
	  .bad = B_PAST_EOF),
	V("zero-length", .kind = K_BAD, .access = RW, .bad = B_ZERO),
	V("unprivileged-memlock", .kind = K_UNPRIV),
	/* detector self-test: a forgotten MR must show as a pin leak */
	V("selftest-leak", .kind = K_LEAK),
	{},
};

static const char *const tags[] = {
	"1970dc6f5226 mm/gup: /proc/vmstat: pin_user_pages (FOLL_PIN) reporting",
	NULL,
};

/* the detector's injection case: the forgotten MR must be caught */
static const struct pr_must musts[] = {{"selftest-leak", "fail:pin-leak", 0},
				       {}};

static const struct pr_test test = {
	.name = "mr-churn",
	.desc = "register/deregister churn, ranges that must fail, RLIMIT_MEMLOCK: every pin released",
	.needs = NEEDS,
	.tags = tags,
	.variants = variants,
	.musts = musts,
	.body = body,
};

PR_TEST_MAIN(test)
