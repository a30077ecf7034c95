// SPDX-License-Identifier: GPL-2.0
/*
 * Description: the file behind a VFIO mapping changes its layout while
 * the device holds it (truncate and extend, punch a hole, zero or collapse
 * a range, reflink another file's blocks over it), the CPU writes
 * a new generation into the file, then the device reads the mapping's
 * IOVAs and, when the mapping is writable, writes another generation there. The
 * device must see the file as it is now (else stale-read: it kept the orphaned
 * pages), and its writes must reach the file (else lost-write).  Blocks are
 * judged against the operation's model of the file, with the content before the
 * change as the history.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "layout.h"
#include "vcase.h"

#define NBLK 4
#define LEN (NBLK * 4096)

static void control_and_change(struct pr_vcase *vc, struct pr_expect *cur,
			       struct pr_expect *prev)
{
	struct pr_expect src_model[LEN / 512];
	struct pr_layout l = {.f = &vc->f,
			      .src = (struct pr_file *)vc->priv,
			      .bs = vc->bs,
			      .nblocks = vc->n,
			      .model = cur,
			      .src_model = src_model};
	int rc;

	pr_vcase_model(vc, cur, 1, 0);
	if (pr_vcase_copy(vc, PR_VIOVA_MEM, PR_VIOVA_SCRATCH, vc->f.len))
		return;
	if (pr_vcase_check(vc, vc->scratch, cur, NULL, "control-read")) {
		pr_note(vc->res,
			"the device misread the mapping before any layout change");
		return;
	}
	memcpy(prev, cur, vc->n * sizeof(*cur));
	if (l.src)
		pr_model_fill(src_model, vc->n, vc->bs, l.src->id, 1,
			      vc->ctx->seed);
	pr_layout_range(&l);
	rc = vc->c->op->apply(&l);
	if (rc == -EOPNOTSUPP || rc == -ENOTTY)
		return pr_skip(vc->res, "%s not supported here (%s)",
			       vc->c->op->name, strerrorname_np(-rc));
	if (rc)
		return pr_error(vc->res, -rc, "%s: %s", vc->c->op->name,
				strerror(-rc));
	vc->c->op->model(&l);
	vc->res->ops++;
	/* generation 2 over the whole file, into its pages as they are now */
	pr_vcase_stamp(vc, vc->scratch, 2, PR_W_PWRITE);
	if (pwrite(vc->f.fd, vc->scratch, vc->f.len, 0) != (ssize_t)vc->f.len)
		return pr_error(vc->res, errno, "pwrite: %s", strerror(errno));
	pr_vcase_model(vc, cur, 2, 0);
}

static void traffic(struct pr_vcase *vc)
{
	const int *writable = vc->c->variant->priv;
	struct pr_expect cur[LEN / 512], prev[LEN / 512], dev[LEN / 512];
	char *buf = vc->scratch;

	control_and_change(vc, cur, prev);
	if (vc->res->status != PR_PASS || vc->res->vr.count[PR_BLK_OK] == 0)
		return;
	/* the device reads the mapping: the file as the model has it now */
	if (pr_vcase_copy(vc, PR_VIOVA_MEM, PR_VIOVA_SCRATCH, vc->f.len))
		return;
	pr_vcase_check(vc, buf, cur, prev, "device-read-after-change");
	if (!*writable || vc->res->status == PR_ERROR)
		return;
	/* the device writes generation 3; the file must show it */
	pr_vcase_stamp(vc, buf, 3, PR_W_RDMA);
	if (pr_vcase_copy(vc, PR_VIOVA_SCRATCH, PR_VIOVA_MEM, vc->f.len))
		return;
	pr_vcase_model(vc, dev, 3, 1);
	if (pread(vc->f.fd, buf, vc->f.len, 0) != (ssize_t)vc->f.len)
		return pr_error(vc->res, errno, "pread: %s", strerror(errno));
	pr_vcase_check(vc, buf, dev, cur, "file-after-device-write");
}

/* The clone source: a second file of the backing, generation 1 of id 2. */
static int open_src(struct pr_vcase *vc, struct pr_file *src)
{
	struct pr_stamp s = {.file_id = 2,
			     .gen = 1,
			     .seed = vc->ctx->seed,
			     .writer = PR_W_MMAP};
	int rc = pr_file_open(vc->c->backing, "vfio-src", vc->f.len, 2, 0, src);

	if (rc) {
		pr_error(vc->res, -rc, "the clone source: %s", strerror(-rc));
		return -1;
	}
	pr_blk_fill_range(src->map, src->len, vc->bs, &s);
	vc->priv = src;
	return 0;
}

static void body(struct pr_ctx *ctx, const struct pr_case *c,
		 struct pr_result *res)
{
	const int *writable = c->variant->priv;
	struct pr_file src = {.fd = -1};
	struct pr_vcase vc;

	if (!pr_vcase_open(&vc, ctx, c, res, LEN) &&
	    !(c->op->needs_src && open_src(&vc, &src))) {
		pr_vcase_stamp(&vc, vc.f.map, 1, PR_W_MMAP);
		if (!pr_vcase_map_mem(&vc, *writable)) {
			pr_vcase_run(&vc, traffic);
			pr_vcase_faults(&vc, 0, 0, 0, NULL, 0);
			if (res->status == PR_PASS && res->ops)
				pr_note(res,
					"after %s the device saw the file as it is%s (%llu blocks verified)",
					c->op->name,
					*writable ? " and its writes reached it"
						  : "",
					(unsigned long long)res->vr.nblocks);
		}
	}
	pr_vcase_close(&vc);
	if (src.map || src.fd >= 0)
		pr_file_close(&src);
}

static const int ro = 0, rw = 1;
static const struct pr_variant variants[] = {
	{"read-only", 0, &ro},
	{"writable", 0, &rw},
	{},
};
static const struct pr_backing *const backings[] = {
	&pr_backing_memfd, &pr_backing_pagecache, &pr_backing_fsdax, NULL};
static const struct pr_layout_op *const ops[] = {
	&pr_op_truncate_extend, &pr_op_punch_hole, &pr_op_zero_range,
	&pr_op_collapse_range,	&pr_op_ficlone,	   NULL};
static const char *const tags[] = {
	"8ac268436e6d mm/gup: disallow FOLL_LONGTERM GUP-nonfast writing to file-backed mappings",
	NULL,
};

static const struct pr_test test = {
	.name = "vfio-layout",
	.desc = "truncate, punch-hole, zero-range, collapse-range and reflink of memfd, page-cache and fsdax files while VFIO maps them for the device",
	.needs = PR_NEED_VFIO | PR_NEED_KMSG,
	.timeout = 90,
	.tags = tags,
	.backings = backings,
	.ops = ops,
	.variants = variants,
	.body = body,
};

PR_TEST_MAIN(test)
