// SPDX-License-Identifier: GPL-2.0
/*
 * Description: an MR over a device-DAX mapping.  Unlike filesystem DAX,
 * device-DAX has no file layout to change under a pin, so long-term pins
 * are allowed: registration must work in every mode, and the device must
 * move verified data both ways: RDMA READ sees what the CPU stored (also
 * from the middle of a page, and again after the CPU rewrote it), RDMA
 * WRITE lands where the CPU then reads it.  A refusal here is a failure
 * (finding "refused"), not a protection.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "backing.h"
#include "mrfile.h"
#include "mrmode.h"
#include "xfercheck.h"

struct dd {
	struct pr_ctx *ctx;
	struct pr_result *res;
	struct pr_mrfile m;
	size_t bs;
};

static const struct pr_backing *const backings[] = {&pr_backing_devdax, NULL};

static void stamp(struct dd *d, void *buf, uint32_t gen, uint8_t writer)
{
	struct pr_stamp s = {.file_id = d->m.f.id,
			     .gen = gen,
			     .seed = d->ctx->seed,
			     .writer = writer};

	pr_blk_fill_range(buf, d->m.f.len, d->bs, &s);
}

/* Every block of @buf must be generation @gen. */
static void check(struct dd *d, const void *buf, uint32_t gen, int by_device,
		  const char *label)
{
	struct pr_expect e = {.file_id = d->m.f.id,
			      .gen = gen,
			      .seed = d->ctx->seed,
			      .by_device = by_device};

	pr_check(d->ctx, d->res, buf, d->m.f.len, d->bs, &e, d->m.f.path,
		 label);
}

static int xfer(struct dd *d, int write, size_t off, size_t len)
{
	return pr_xfer(d->ctx, d->res, &d->m.rdma, write, d->m.mr, off, len);
}

/* A READ from the middle of a page returns exactly the CPU's bytes. */
static void check_mid_page(struct dd *d)
{
	size_t off = 1024, len = 2048, i;
	const unsigned char *want = (const unsigned char *)d->m.f.map + off;
	const unsigned char *got = d->m.rdma.buf;

	if (xfer(d, 0, off, len))
		return;
	for (i = 0; i < len && got[i] == want[i]; i++)
		;
	if (i < len)
		pr_fail(d->res, PR_F_MISPLACED,
			"an RDMA READ of %zu bytes at offset %zu returned other bytes than the mapping holds (first difference at offset %zu)%s",
			len, off, off + i,
			memcmp(got, d->m.f.map, len)
				? ""
				: ": it returned the bytes at offset 0, the start of the page");
}

static void body(struct pr_ctx *ctx, const struct pr_case *c,
		 struct pr_result *res)
{
	struct dd d = {.ctx = ctx, .res = res, .bs = ctx->prof.block_size};
	const char *dev = pr_backing_dir(c->backing);

	snprintf(res->fs, sizeof(res->fs), "devdax");
	if (!dev)
		return pr_skip(res, "no device-DAX ($%s unset)",
			       c->backing->dir_env);
	if (pr_mrfile_open(&d.m, ctx, c, MAP_SHARED, res))
		goto out;
	pr_diag("%s: %zu bytes mapped (alignment), the MR covers %zu", dev,
		d.m.f.map_len, d.m.f.len);
	stamp(&d, d.m.f.map, 1, PR_W_MMAP);
	if (pr_mrfile_register(&d.m, c, res)) {
		pr_fail(res, PR_F_REFUSED,
			"device-DAX has no file layout to protect: long-term pins of its pages must be allowed");
		goto out;
	}
	if (xfer(&d, 0, 0, d.m.f.len))
		goto out;
	check(&d, d.m.rdma.buf, 1, 0, "device-read");
	check_mid_page(&d);
	/* the CPU rewrites through the mapping; the device must see it */
	stamp(&d, d.m.f.map, 2, PR_W_MMAP);
	if (xfer(&d, 0, 0, d.m.f.len))
		goto out;
	check(&d, d.m.rdma.buf, 2, 0, "device-read-after-cpu-write");
	if (!c->mr->device_writes) {
		pr_note(res, "read-only MR: no device write");
		goto done;
	}
	stamp(&d, d.m.rdma.buf, 3, PR_W_RDMA);
	if (xfer(&d, 1, 0, d.m.f.len))
		goto out;
	check(&d, d.m.f.map, 3, 1, "mapping-after-device-write");
	if (xfer(&d, 0, 0, d.m.f.len))
		goto out;
	check(&d, d.m.rdma.buf, 3, 1, "device-read-after-device-write");
done:
	if (res->status == PR_PASS)
		pr_note(res,
			"registered; %llu blocks verified over %llu transfers",
			(unsigned long long)res->vr.nblocks,
			(unsigned long long)res->xfers);
out:
	pr_mrfile_close(&d.m);
}

static const char *const tags[] = {
	"5f1d43de5416 IB/core: disable memory registration of filesystem-dax vmas (device-DAX stays allowed)",
	NULL,
};

static const struct pr_test test = {
	.name = "mr-devdax",
	.desc = "MR over a device-DAX mapping: registered in every mode, verified READ and WRITE",
	.needs = PR_NEED_RDMA,
	.tags = tags,
	.backings = backings,
	.mrs = pr_mr_modes_all,
	.body = body,
};

PR_TEST_MAIN(test)
