// SPDX-License-Identifier: GPL-2.0
/*
 * Description: the expectations matcher, which decides what is news.  Each
 * variant applies one line to one outcome and checks the verdict: a known
 * failure becomes XFAIL, a pass where a failure was expected becomes
 * XPASS, and a failure with another finding, another kernel or another
 * device stays a failure.  An intermittent failure is XFAIL when it shows
 * and a plain pass when it does not, never a licence for other findings;
 * a known kernel warning ("~TEXT") covers that warning and no other.  A
 * matcher that swallowed failures would fail here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "expect.h"
#include "pinrace.h"

struct probe {
	const char *line; /* one expectations line */
	const char *env;  /* release@device */
	const char *cs;
	enum pr_status got;
	enum pr_finding finding;
	enum pr_status want;
	const char *kmsg; /* the case's kernel-log lines */
};

#define VK(n, ...)                                                             \
	{                                                                      \
		n, 0, &(const struct probe)                                    \
		{                                                              \
			__VA_ARGS__                                            \
		}                                                              \
	}
#define V(n, ...) VK(n, __VA_ARGS__, NULL)
static const struct pr_variant variants[] = {
	V("known-failure", "<6.5 t x/* fail:lost-write c r",
	  "6.1.0-56-amd64@rxe0", "x/y", PR_FAIL, PR_F_LOST_WRITE, PR_XFAIL),
	V("fixed-kernel", "<6.5 t x/* fail:lost-write c r",
	  "6.12.117+deb13-amd64@rxe0", "x/y", PR_FAIL, PR_F_LOST_WRITE,
	  PR_FAIL),
	V("other-finding", "* t x/* fail:stale-read c r", "7.2.13@rxe0", "x/y",
	  PR_FAIL, PR_F_CROSS_FILE, PR_FAIL),
	V("unexpected-pass", "* t x/* fail c r", "7.2.13@rxe0", "x/y", PR_PASS,
	  PR_F_NONE, PR_XPASS),
	V("other-device", ">=6.15@rxe* t * fail c r", "7.2.13@mlx5_0", "x/y",
	  PR_FAIL, PR_F_MISPLACED, PR_FAIL),
	V("same-device", ">=6.15@rxe* t * fail c r", "7.2.13@rxe0", "x/y",
	  PR_FAIL, PR_F_MISPLACED, PR_XFAIL),
	V("range", ">=5.11,<6.5 t * fail c r", "6.4.9@rxe0", "x", PR_FAIL,
	  PR_F_TORN, PR_XFAIL),
	V("alternatives", "* t @(xfs|btrfs)/ro/* fail c r", "6.1.0@rxe0",
	  "btrfs/ro/punch", PR_FAIL, PR_F_STALE_READ, PR_XFAIL),
	V("alternatives-miss", "* t @(xfs|btrfs)/ro/* fail c r", "6.1.0@rxe0",
	  "ext4/ro/punch", PR_FAIL, PR_F_STALE_READ, PR_FAIL),
	V("expected-error", "* t * error c r", "6.1.0@rxe0", "x", PR_ERROR,
	  PR_F_NONE, PR_XFAIL),
	V("intermittent-shows", "6.1.* t x/* intermittent:hang c r",
	  "6.1.0-56-amd64@rxe0", "x/y", PR_FAIL, PR_F_HANG, PR_XFAIL),
	V("intermittent-absent", "6.1.* t x/* intermittent:hang c r",
	  "6.1.0-56-amd64@rxe0", "x/y", PR_PASS, PR_F_NONE, PR_PASS),
	V("intermittent-other-finding", "6.1.* t x/* intermittent:hang c r",
	  "6.1.0-56-amd64@rxe0", "x/y", PR_FAIL, PR_F_CROSS_FILE, PR_FAIL),
	V("intermittent-error", "6.1.* t x/* intermittent:hang c r",
	  "6.1.0-56-amd64@rxe0", "x/y", PR_ERROR, PR_F_HANG, PR_ERROR),
	V("either-finding", "* t * fail:cross-file|access-error c r",
	  "7.2.13@rxe0", "x", PR_FAIL, PR_F_ACCESS_ERROR, PR_XFAIL),
	V("neither-finding", "* t * fail:cross-file|access-error c r",
	  "7.2.13@rxe0", "x", PR_FAIL, PR_F_STALE_READ, PR_FAIL),
	V("second-line-explains",
	  "* t * intermittent:kernel-warning c r\n* t x/* intermittent:hang c r",
	  "7.2.13@rxe0", "x/y", PR_FAIL, PR_F_HANG, PR_XFAIL),
	V("no-line-explains",
	  "* t * intermittent:kernel-warning c r\n* t x/* intermittent:hang c r",
	  "7.2.13@rxe0", "x/y", PR_FAIL, PR_F_ZERO, PR_FAIL),
	V("pass-under-a-steady-line",
	  "* t * intermittent:kernel-warning c r\n* t x/* fail:hang c r",
	  "7.2.13@rxe0", "x/y", PR_PASS, PR_F_NONE, PR_XPASS),
	VK("known-warning",
	   "7.2.* t * fail:kernel-warning~dax_disassociate c r", "7.2.13@rxe0",
	   "x", PR_FAIL, PR_F_KERNEL_WARNING, PR_XFAIL,
	   "WARNING: fs/dax.c:452 at dax_disassociate_entry.isra.0+0x86/0xb0"),
	VK("other-warning",
	   "7.2.* t * fail:kernel-warning~dax_disassociate c r", "7.2.13@rxe0",
	   "x", PR_FAIL, PR_F_KERNEL_WARNING, PR_FAIL,
	   "WARNING: mm/gup.c:2178 at __get_user_pages+0x1a0/0x1c0"),
	V("skip-untouched", "* t * fail c r", "6.1.0@rxe0", "x", PR_SKIP,
	  PR_F_NONE, PR_SKIP),
	{}};

static void body(struct pr_ctx *ctx, const struct pr_case *c,
		 struct pr_result *res)
{
	const struct probe *p = c->variant->priv;
	const struct pr_expectation *why;
	struct pr_expectations x;
	char path[] = "/tmp/pinrace-expect-XXXXXX", err[256];
	enum pr_status s;
	int fd = mkstemp(path);

	(void)ctx;
	if (fd < 0 || dprintf(fd, "# a comment\n%s\n", p->line) < 0)
		return pr_error(res, 0, "cannot write %s", path);
	close(fd);
	if (pr_expect_load(&x, path, err, sizeof(err))) {
		unlink(path);
		return pr_error(res, 0, "%s", err);
	}
	unlink(path);
	s = pr_expect_apply(&x, p->env, "t", p->cs, p->got, p->finding, p->kmsg,
			    &why);
	if (s != p->want)
		pr_fail(res, PR_F_SELFTEST, "'%s' on %s %s gave %s, want %s",
			p->line, p->cs, pr_status_name(p->got),
			pr_status_name(s), pr_status_name(p->want));
	pr_expect_free(&x);
}

static const struct pr_test test = {
	.name = "selftest-expect",
	.desc = "expectations: known failures XFAIL, anything else stays news",
	.timeout = 10,
	.variants = variants,
	.body = body,
};

PR_TEST_MAIN(test)
