// SPDX-License-Identifier: GPL-2.0
/* Transfers and verifications that report into a case's result. */
#include "xfercheck.h"
#include "xferverdict.h"

int pr_xfer(struct pr_ctx *ctx, struct pr_result *res, struct pr_rdma *r,
	    int write, struct ibv_mr *mr, size_t off, size_t len)
{
	char err[256];
	int rc = pr_rdma_xfer(r, write, mr, off, len, ctx->prof.cqe_timeout_ms,
			      err, sizeof(err));

	if (rc) {
		struct pr_xfer_result x = pr_xfer_decode(rc);

		pr_error(res, x.kind == PR_XFER_COMPLETION_ERROR ? 0 : x.err,
			 "RDMA %s: %s", write ? "WRITE" : "READ", err);
		return -1;
	}
	res->xfers++;
	return 0;
}

uint64_t pr_check(struct pr_ctx *ctx, struct pr_result *res, const void *buf,
		  size_t len, size_t bs, const struct pr_expect *e,
		  const char *fname, const char *label)
{
	struct pr_vreport vr;
	uint64_t bad;

	pr_vreport_init(&vr);
	bad = pr_verify_range(buf, len, bs, e, fname, pr_dumpdir(ctx), label,
			      &vr);
	if (bad)
		pr_note(res, "%s: %llu of %llu blocks bad, first at %lld (%s)",
			label, (unsigned long long)bad,
			(unsigned long long)vr.nblocks, (long long)vr.first_bad,
			pr_class_name(vr.first_class));
	pr_result_verified(res, &vr, 1);
	return bad;
}
