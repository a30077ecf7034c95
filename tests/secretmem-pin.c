// SPDX-License-Identifier: GPL-2.0
/*
 * Description: memfd_secret() memory must never be pinned or reached by
 * GUP (1507f51255c9), whatever the source: an RDMA MR (read-write and
 * read-only), io_uring fixed buffers, vmsplice and O_DIRECT.  Each source
 * tries to register the secret mapping and move its data; a refusal is
 * the protection (recorded with its errno), a source that pins it and
 * reads the secret bytes is an accepted-invalid finding.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "layout.h"
#include "mrfile.h"
#include "mrmode.h"
#include "pin.h"
#include "secretmem.h"
#include "xferverdict.h"

static void body(struct pr_ctx *ctx, const struct pr_case *c,
		 struct pr_result *res)
{
	enum { N = 16, BS = 4096 };
	size_t len = N * BS;
	struct pr_stamp s = {.file_id = 1, .gen = 1, .seed = ctx->seed};
	struct pr_expect e[N];
	struct pr_mrfile m;
	struct pr_vreport vr;
	char err[256];
	void *secret;
	int rc = pr_secretmem_map(len, &secret);

	if (rc)
		return pr_error(res, -rc, "memfd_secret: %s", strerror(-rc));
	pr_blk_fill_range(secret, len, BS, &s);
	if (pr_mrfile_open_mem(&m, ctx, c, secret, len, "memfd_secret", res) ||
	    pr_mrfile_register(&m, c, res))
		goto out;
	/* registered (or a source that pins per transfer): move the data */
	rc = pr_mrfile_xfer(&m, 0, 0, len, ctx->prof.cqe_timeout_ms, err,
			    sizeof(err));
	if (pr_xfer_decode(rc).err == EIO && rc == pr_pin_status(EFAULT)) {
		pr_refused(res, EFAULT, "%s of memfd_secret memory refused: %s",
			   pr_mrfile_xfer_name(&m, 0), err);
		goto out;
	}
	if (rc) {
		pr_error(res, pr_xfer_decode(rc).err, "%s: %s",
			 pr_mrfile_xfer_name(&m, 0), err);
		goto out;
	}
	res->xfers++;
	pr_vreport_init(&vr);
	pr_model_fill(e, N, BS, 1, 1, ctx->seed);
	pr_verify_model(m.buf, N, BS, e, NULL, NULL, NULL, NULL, &vr);
	pr_fail(res, PR_F_ACCEPTED_INVALID,
		"%s registered memfd_secret memory and its device read it: %llu of %llu blocks were the secret's",
		c->mr->source ? c->mr->source : "rdma",
		(unsigned long long)vr.count[PR_BLK_OK],
		(unsigned long long)vr.nblocks);
out:
	pr_mrfile_close(&m);
	munmap(secret, len);
}

static const struct pr_mr_mode *const sources[] = {
	&pr_mr_pinned_rw, &pr_mr_pinned_ro, &pr_mr_uring_fixed,
	&pr_mr_vmsplice,  &pr_mr_odirect,   NULL};
static const char *const tags[] = {
	"1507f51255c9 mm: introduce memfd_secret system call to create secret memory areas",
	NULL,
};

static const struct pr_test test = {
	.name = "secretmem-pin",
	.desc = "memfd_secret memory: every pin source must be refused",
	.needs = PR_NEED_SECRETMEM,
	.tags = tags,
	.mrs = sources,
	.body = body,
};

PR_TEST_MAIN(test)
