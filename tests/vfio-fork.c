// SPDX-License-Identifier: GPL-2.0
/*
 * Description: a process forks while anonymous memory of it is mapped for
 * the device through VFIO (pinned writable), with and without
 * MADV_DONTFORK on the range.  The child keeps its view alive while the
 * parent writes through its mapping; then the device reads the IOVAs (it
 * must see the parent's new blocks, else stale-read) and writes blocks
 * the parent must see (else lost-write: the device's page is no longer
 * the parent's, the copy-on-write went the wrong way).
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vcase.h"

#define LEN (2 * 4096)

static void after_fork(struct pr_vcase *vc)
{
	struct pr_expect cur[LEN / 512], prev[LEN / 512];

	pr_vcase_model(vc, prev, 1, 0);
	pr_vcase_stamp(vc, vc->f.map, 2, PR_W_MMAP);
	pr_vcase_model(vc, cur, 2, 0);
	if (pr_vcase_copy(vc, PR_VIOVA_MEM, PR_VIOVA_SCRATCH, vc->f.len))
		return;
	pr_vcase_check(vc, vc->scratch, cur, prev, "device-read-after-fork");
	pr_vcase_stamp(vc, vc->scratch, 3, PR_W_RDMA);
	if (pr_vcase_copy(vc, PR_VIOVA_SCRATCH, PR_VIOVA_MEM, vc->f.len))
		return;
	memcpy(prev, cur, sizeof(prev));
	pr_vcase_model(vc, cur, 3, 1);
	pr_vcase_check(vc, vc->f.map, cur, prev, "parent-after-device-write");
}

static void traffic(struct pr_vcase *vc)
{
	const int *dontfork = vc->c->variant->priv;
	int p[2], st;
	pid_t pid;

	if (*dontfork && madvise(vc->f.map, vc->f.len, MADV_DONTFORK))
		return pr_error(vc->res, errno, "MADV_DONTFORK: %s",
				strerror(errno));
	if (pipe(p))
		return pr_error(vc->res, errno, "pipe: %s", strerror(errno));
	pid = fork();
	if (pid == 0) { /* keep the child's view of the memory alive */
		char c;

		close(p[1]);
		_exit(read(p[0], &c, 1) < 0);
	}
	close(p[0]);
	if (pid < 0)
		pr_error(vc->res, errno, "fork: %s", strerror(errno));
	else
		after_fork(vc);
	close(p[1]); /* the child ends */
	if (pid > 0)
		waitpid(pid, &st, 0);
}

static void body(struct pr_ctx *ctx, const struct pr_case *c,
		 struct pr_result *res)
{
	struct pr_vcase vc;

	if (!pr_vcase_open(&vc, ctx, c, res, LEN)) {
		pr_vcase_stamp(&vc, vc.f.map, 1, PR_W_MMAP);
		if (!pr_vcase_map_mem(&vc, 1)) {
			pr_vcase_run(&vc, traffic);
			pr_vcase_faults(&vc, 0, 0, 0, NULL, 0);
			if (res->status == PR_PASS)
				pr_note(res,
					"after fork the device and the parent agree on the pinned pages (%llu blocks verified)",
					(unsigned long long)res->vr.nblocks);
		}
	}
	pr_vcase_close(&vc);
}

static const int dontfork = 1, plain = 0;
static const struct pr_variant variants[] = {
	{"fork", 0, &plain},
	{"fork-dontfork", 0, &dontfork},
	{},
};
static const struct pr_backing *const backings[] = {&pr_backing_vfio_anon,
						    NULL};
static const char *const tags[] = {
	"70e806e4e645 mm: Do early cow for pinned pages during fork() for ptes",
	NULL,
};

static const struct pr_test test = {
	.name = "vfio-fork",
	.desc = "fork with anonymous memory VFIO-mapped for the device, with and without MADV_DONTFORK",
	.needs = PR_NEED_VFIO | PR_NEED_KMSG,
	.timeout = 60,
	.tags = tags,
	.backings = backings,
	.variants = variants,
	.body = body,
};

PR_TEST_MAIN(test)
