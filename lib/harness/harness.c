// SPDX-License-Identifier: GPL-2.0
/*
 * pr_main(): the life of a test binary.  Options, profile, expectations;
 * then for each case: needs, kernel-log marker, isolated run, log scan,
 * expectations, TAP and results.jsonl.
 */
#include <errno.h>
#include <fnmatch.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "backing.h"
#include "block.h"
#include "cases.h"
#include "csum.h"
#include "expect.h"
#include "kmsg.h"
#include "report.h"
#include "seed.h"
#include "tap.h"
#include "verbs.h"
#include "verdict.h"

struct run {
	const struct pr_test *t;
	struct pr_case *cases;
	int ncases;
	const char *filter;
	int list, info, requires;
	int have_seed;
	uint64_t seed;
	struct pr_expectations expect;
	struct pr_profile prof;
	struct utsname uts;
	char device[64]; /* RDMA device the cases use, "" if none */
	char env[192];	 /* "release@device", what expectations match */
	const char *results;
	char jsonl[1024];
	struct pr_kmsg kmsg;
	struct pr_tap tap;
};

#define SEED_WANT                                                              \
	"a seed is an unsigned 64-bit decimal without a leading zero, or 0x and hex digits"

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	interrupted = sig;
	pr_case_interrupt();
}

static void usage(const struct pr_test *t, FILE *f)
{
	fprintf(f,
		"usage: %s [--list] [--info] [--case GLOB] [--seed N]\n"
		"%s\n"
		"  --list       each case and whether it would run, skip (with the reason) or error\n"
		"  --info       the test's declared needs, timeout, tags and cases\n"
		"  --requires   each case's declared needs and backing, probing nothing\n"
		"  --case GLOB  run only the cases whose name matches (ksh @(a|b) allowed)\n"
		"  --seed N     seed for the case's randomness (replays a run)\n"
		"environment: PINRACE_RESULTS (dir for results.jsonl and dumps),\n"
		"  PINRACE_EXPECT (expectations file), PINRACE_PROFILE (profile file),\n"
		"  PINRACE_RDMA_DEV, PINRACE_PAGECACHE_DIR, PINRACE_DAX_DIR, PINRACE_CSUM\n",
		t->name, t->desc);
}

static int parse_args(struct run *r, int argc, char **argv)
{
	static const struct option opts[] = {
		{"list", no_argument, NULL, 'l'},
		{"info", no_argument, NULL, 'i'},
		{"requires", no_argument, NULL, 'r'},
		{"case", required_argument, NULL, 'c'},
		{"seed", required_argument, NULL, 's'},
		{"help", no_argument, NULL, 'h'},
		{}};
	int o;

	while ((o = getopt_long(argc, argv, "lic:s:h", opts, NULL)) != -1) {
		switch (o) {
		case 'l':
			r->list = 1;
			break;
		case 'i':
			r->info = 1;
			break;
		case 'r':
			r->requires
			= 1;
			break;
		case 'c':
			r->filter = optarg;
			break;
		case 's':
			if (pr_seed_parse(optarg, &r->seed)) {
				fprintf(stderr, "%s: %s\n", r->t->name,
					SEED_WANT);
				return -1;
			}
			r->have_seed = 1;
			break;
		case 'h':
			usage(r->t, stdout);
			exit(0);
		default:
			usage(r->t, stderr);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "%s: unexpected argument '%s'\n", r->t->name,
			argv[optind]);
		return -1;
	}
	return 0;
}

static int setup(struct run *r)
{
	const char *xpath = getenv("PINRACE_EXPECT");
	char err[512];

	if (pr_profile_load(&r->prof, err, sizeof(err)) ||
	    pr_musts_check(r->t, err, sizeof(err)) ||
	    (xpath && *xpath &&
	     pr_expect_load(&r->expect, xpath, err, sizeof(err)))) {
		fprintf(stderr, "%s: %s\n", r->t->name, err);
		return -1;
	}
	uname(&r->uts);
	pr_rdma_device_name(r->device, sizeof(r->device));
	snprintf(r->env, sizeof(r->env), "%s@%s", r->uts.release, r->device);
	r->results = getenv("PINRACE_RESULTS");
	if (r->results && !*r->results)
		r->results = NULL;
	if (r->results) {
		mkdir(r->results, 0755); /* the runner normally made it */
		snprintf(r->jsonl, sizeof(r->jsonl), "%s/results.jsonl",
			 r->results);
	}
	if (!r->have_seed) {
		const char *s = getenv("PINRACE_SEED");

		r->seed = (uint64_t)time(NULL) * 2654435761u ^ getpid();
		if (s && *s && pr_seed_parse(s, &r->seed)) {
			fprintf(stderr, "%s: PINRACE_SEED: %s\n", r->t->name,
				SEED_WANT);
			return -1;
		}
	}
	/* measured on the data length of the blocks this run uses */
	pr_csum_select_len(r->prof.block_size - PR_BLK_HDR_LEN);
	return 0;
}

static int selected(const struct run *r, const struct pr_case *c)
{
	return !r->filter || !fnmatch(r->filter, c->name, FNM_EXTMATCH);
}

static void print_info(const struct run *r)
{
	const struct pr_test *t = r->t;
	unsigned int all = 0;

	printf("name: %s\ndescription: %s\ntimeout: %d\n", t->name, t->desc,
	       t->timeout ? t->timeout : r->prof.timeout);
	for (int i = 0; i < r->ncases; i++)
		all |= pr_case_needs(t, &r->cases[i]);
	printf("needs:");
	for (int b = 0; b < PR_NEED_NBITS; b++)
		if (all & (1u << b))
			printf(" %s", pr_need_name(1u << b));
	printf("\ntags:\n");
	for (int i = 0; t->tags && t->tags[i]; i++)
		printf("  - %s\n", t->tags[i]);
	printf("cases: %d\n", r->ncases);
}

static void ctx_init(struct run *r, struct pr_ctx *ctx, struct pr_case *c,
		     int idx)
{
	const char *dev = getenv("PINRACE_RDMA_DEV");

	memset(ctx, 0, sizeof(*ctx));
	ctx->test = r->t;
	ctx->cs = c;
	ctx->rdma_dev = dev && *dev ? dev : NULL;
	ctx->results = r->results;
	/* splitmix-style spread: each case its own seed, replayable */
	ctx->seed = r->seed + 0x9e3779b97f4a7c15ull * (uint64_t)(idx + 1);
	ctx->prof = r->prof;
}

static void list_cases(struct run *r)
{
	for (int i = 0; i < r->ncases; i++) {
		struct pr_case *c = &r->cases[i];
		struct pr_ctx ctx;
		char why[512];
		int s;

		if (!selected(r, c))
			continue;
		ctx_init(r, &ctx, c, i);
		s = pr_needs_check(&ctx, c, pr_case_needs(r->t, c), why,
				   sizeof(why));
		printf("%s/%s\t%s%s%s\t%s\n", r->t->name, c->name,
		       s == PR_PASS ? "run" : pr_status_name(s),
		       s == PR_PASS ? "" : ": ", s == PR_PASS ? "" : why,
		       pr_role_name(pr_case_role(r->t, c)));
	}
}

/* TEST/CASE, its needs (comma-separated, "-" if none) and its backing. */
static void print_requires(const struct run *r)
{
	for (int i = 0; i < r->ncases; i++) {
		const struct pr_case *c = &r->cases[i];
		unsigned int needs = pr_case_needs(r->t, c);
		int n = 0;

		if (!selected(r, c))
			continue;
		printf("%s/%s\t", r->t->name, c->name);
		for (int b = 0; b < PR_NEED_NBITS; b++)
			if (needs & (1u << b))
				printf("%s%s", n++ ? "," : "",
				       pr_need_name(1u << b));
		printf("%s\t%s\n", n ? "" : "-",
		       c->backing ? c->backing->name : "-");
	}
}

static long ms_between(const struct timespec *a, const struct timespec *b)
{
	return (b->tv_sec - a->tv_sec) * 1000 +
	       (b->tv_nsec - a->tv_nsec) / 1000000;
}

/* Kernel-log lines logged while the case ran make a finding. */
static void scan_kmsg(struct run *r, struct pr_result *res, char *lines,
		      size_t len)
{
	int n;

	lines[0] = '\0';
	if (r->kmsg.fd < 0)
		return;
	n = pr_kmsg_scan(&r->kmsg, res->kmsg_seen, lines, len, NULL);
	if (n <= 0)
		return;
	if (res->status == PR_PASS)
		res->status = PR_FAIL;
	if (res->finding < PR_F_KERNEL_WARNING)
		res->finding = PR_F_KERNEL_WARNING;
	pr_note(res, "%d kernel log line(s) of concern", n);
}

static void finish_case(struct run *r, struct pr_case *c, struct pr_result *res,
			const char *why, long ms, const char *kmsg)
{
	const struct pr_expectation *x = NULL;
	struct pr_case_report rep = {
		.kernel = r->uts.release,
		.device = r->device,
		.test = r->t->name,
		.cs = c,
		.res = res,
		.why = why,
		.kmsg = kmsg,
		.duration_ms = ms,
		.run_seed = r->seed,
		.role = pr_role_name(pr_case_role(r->t, c)),
		.source = pr_case_source(r->t, c),
	};
	static char yaml[16384];

	res->status = pr_expect_apply(&r->expect, r->env, r->t->name, c->name,
				      res->status, res->finding, kmsg, &x);
	rep.expect = x;
	yaml[0] = '\0';
	if ((res->status != PR_PASS && res->status != PR_SKIP) ||
	    pr_must_find(r->t, c->name))
		pr_report_yaml(&rep, yaml, sizeof(yaml));
	pr_tap_result(&r->tap, c->name, res->status,
		      why && *why		    ? why
		      : x && res->status != PR_PASS ? x->reason
						    : res->detail,
		      yaml);
	if (r->jsonl[0] && pr_report_jsonl(&rep, r->jsonl))
		fprintf(stderr, "%s: cannot append to %s: %s\n", r->t->name,
			r->jsonl, strerror(errno));
}

static void run_one(struct run *r, struct pr_case *c, int idx,
		    struct pr_result *res)
{
	static char kmsg[8192];
	struct timespec t0, t1;
	struct pr_ctx ctx;
	char why[600] = "", fs[32];
	int s, timeout;

	memset(res, 0, sizeof(*res));
	res->vr.first_bad = -1;
	ctx_init(r, &ctx, c, idx);
	res->seed = ctx.seed;
	if (c->backing)
		snprintf(res->fs, sizeof(res->fs), "%s",
			 pr_backing_fs(c->backing, fs, sizeof(fs)));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	s = pr_needs_check(&ctx, c, pr_case_needs(r->t, c), why, sizeof(why));
	kmsg[0] = '\0';
	if (s != PR_PASS) {
		res->status = s;
	} else {
		timeout = r->t->timeout ? r->t->timeout : r->prof.timeout;
		if (r->kmsg.fd >= 0) {
			pr_kmsg_scan(&r->kmsg, 0, NULL, 0, NULL); /* skip old */
			pr_kmsg_write("pinrace: %s %s begin seed=%llu",
				      r->t->name, c->name,
				      (unsigned long long)ctx.seed);
		}
		pr_case_run(&ctx, timeout, res);
		scan_kmsg(r, res, kmsg, sizeof(kmsg));
		if (res->status == PR_FAIL && res->finding == PR_F_NONE)
			pr_error(
				res, 0,
				"a failure that names no finding: a bug in the test");
		if (interrupted && res->status == PR_ERROR)
			pr_note(res, "%s stopped by %s while this case ran",
				r->t->name, pr_killed_by_name(interrupted));
		else
			pr_verdict_apply(r->t, c, res, kmsg);
		if (res->status == PR_SKIP)
			snprintf(why, sizeof(why), "%s", res->detail);
		else if (res->status == PR_ERROR)
			snprintf(why, sizeof(why), "%s", res->detail);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	finish_case(r, c, res, why, ms_between(&t0, &t1), kmsg);
}

/*
 * A case the run never reached because a signal stopped it: a skip that
 * says so, in results.jsonl as in the TAP, so both count every case.
 */
static void not_run(struct run *r, struct pr_case *c, struct pr_result *res)
{
	memset(res, 0, sizeof(*res));
	res->vr.first_bad = -1;
	res->status = PR_SKIP;
	snprintf(res->detail, sizeof(res->detail), "not run: %s stopped by %s",
		 r->t->name, pr_killed_by_name(interrupted));
	finish_case(r, c, res, res->detail, 0, "");
}

int pr_main(const struct pr_test *t, int argc, char **argv)
{
	struct run r = {.t = t};
	struct pr_result *res;
	int nsel = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (parse_args(&r, argc, argv) || setup(&r))
		return 2;
	r.cases = pr_cases_expand(t, &r.ncases);
	if (!r.cases)
		return 2;
	if (r.info || r.list || r.requires) {
		if (r.info)
			print_info(&r);
		else if (r.requires)
			print_requires(&r);
		else
			list_cases(&r);
		return 0;
	}
	for (int i = 0; i < r.ncases; i++)
		nsel += selected(&r, &r.cases[i]);
	res = mmap(NULL, sizeof(*res), PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (res == MAP_FAILED)
		return 2;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (pr_kmsg_open(&r.kmsg))
		r.kmsg.fd = -1;
	pr_tap_begin(&r.tap, nsel);
	printf("# %s: %s\n# kernel %s, seed %llu, profile %s, checksum %s\n",
	       t->name, t->desc, r.uts.release, (unsigned long long)r.seed,
	       r.prof.name, pr_csum_name(pr_csum_current()));
	if (r.kmsg.fd < 0)
		printf("# /dev/kmsg not readable: kernel warnings are not checked\n");
	for (int i = 0; i < r.ncases; i++) {
		if (!selected(&r, &r.cases[i]))
			continue;
		if (interrupted)
			not_run(&r, &r.cases[i], res);
		else
			run_one(&r, &r.cases[i], i, res);
	}
	pr_kmsg_close(&r.kmsg);
	pr_expect_free(&r.expect);
	free(r.cases);
	return pr_tap_end(&r.tap);
}
