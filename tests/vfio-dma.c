// SPDX-License-Identifier: GPL-2.0
/*
 * Description: a real device DMAs through an IOMMU into pinned user
 * memory.  The memory (anonymous, memfd, a page-cache file, an fsdax
 * file, a device-DAX range) is mapped for the device with VFIO_IOMMU_MAP_DMA
 * (type1 pins it long-term), read-only or writable; the device's DMA engine
 * (QEMU's edu, or an NVMe controller through a scratch LBA range) copies its
 * blocks to a scratch IOVA, and with a writable mapping copies new blocks back.
 * Every block is judged by its header.  A refused mapping is a
 * protection, recorded with its errno (writable long-term pins of
 * page-cache files are refused from 6.5; fsdax pins always).
 */
#include <string.h>

#include "vcase.h"

#define LEN (2 * 4096)

static void traffic(struct pr_vcase *vc)
{
	const int *writable = vc->c->variant->priv;
	struct pr_expect cur[LEN / 512], prev[LEN / 512];

	pr_vcase_model(vc, cur, 1, 0);
	if (pr_vcase_copy(vc, PR_VIOVA_MEM, PR_VIOVA_SCRATCH, vc->f.len))
		return;
	pr_vcase_check(vc, vc->scratch, cur, NULL, "device-read");
	if (!*writable)
		return;
	pr_vcase_stamp(vc, vc->scratch, 2, PR_W_RDMA);
	if (pr_vcase_copy(vc, PR_VIOVA_SCRATCH, PR_VIOVA_MEM, vc->f.len))
		return;
	memcpy(prev, cur, sizeof(prev));
	pr_vcase_model(vc, cur, 2, 1);
	pr_vcase_check(vc, vc->f.map, cur, prev, "mapping-after-device-write");
}

static void body(struct pr_ctx *ctx, const struct pr_case *c,
		 struct pr_result *res)
{
	const int *writable = c->variant->priv;
	struct pr_vcase vc;

	if (!pr_vcase_open(&vc, ctx, c, res, LEN)) {
		pr_vcase_stamp(&vc, vc.f.map, 1, PR_W_MMAP);
		if (!pr_vcase_map_mem(&vc, *writable)) {
			pr_vcase_run(&vc, traffic);
			pr_vcase_faults(&vc, 0, 0, 0, NULL, 0);
			if (res->status == PR_PASS)
				pr_note(res,
					"the device read%s %zu blocks through the IOMMU, all verified",
					*writable ? " and wrote" : "", vc.n);
		}
	}
	pr_vcase_close(&vc);
}

static const int ro = 0, rw = 1;
static const struct pr_variant variants[] = {
	{"read-only", 0, &ro},
	{"writable", 0, &rw},
	{},
};
static const struct pr_backing *const backings[] = {
	&pr_backing_vfio_anon, &pr_backing_memfd,  &pr_backing_pagecache,
	&pr_backing_fsdax,     &pr_backing_devdax, NULL};
static const char *const tags[] = {
	"8ac268436e6d mm/gup: disallow FOLL_LONGTERM GUP-nonfast writing to file-backed mappings",
	NULL,
};

static const struct pr_test test = {
	.name = "vfio-dma",
	.desc = "device DMA through the IOMMU into VFIO-pinned anon, memfd, page-cache, fsdax and device-DAX memory",
	.needs = PR_NEED_VFIO | PR_NEED_KMSG,
	.timeout = 60,
	.tags = tags,
	.backings = backings,
	.variants = variants,
	.body = body,
};

PR_TEST_MAIN(test)
