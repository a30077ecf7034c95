// SPDX-License-Identifier: GPL-2.0
/*
 * Description: what a race makes of a failed RDMA transfer
 * (lib/rdma/xferverdict.h).  Each table variant gives a return code and the
 * layout sequence at post and at completion, and checks the verdict: an
 * error while the layout moved is no finding, a missing completion with
 * the layout still is a hang, a remote access error with the layout still
 * is an access-error.  The live variant makes a real one: an RDMA READ
 * through an MR whose key is off by one must come back a remote access
 * error that the verdict calls "denied", after a READ with the right key
 * came back "ok".  A verdict that swallowed the fault would fail here.
 */
#include <errno.h>
#include <infiniband/verbs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "pinrace.h"
#include "verbs.h"
#include "xferverdict.h"

struct probe {
	int rc; /* pr_rdma_xfer()'s return */
	uint64_t seq_post, seq_now;
	enum pr_xfer_verdict want;
};

#define V(n, ...)                                                              \
	{                                                                      \
		n, 0, &(const struct probe)                                    \
		{                                                              \
			__VA_ARGS__                                            \
		}                                                              \
	}
static const struct pr_variant variants[] = {
	V("ok", 0, 4, 4, PR_XV_OK),
	V("access-raced-posted", IBV_WC_REM_ACCESS_ERR, 5, 5, PR_XV_RACED),
	V("access-raced-moved", IBV_WC_REM_ACCESS_ERR, 4, 6, PR_XV_RACED),
	V("access-still", IBV_WC_REM_ACCESS_ERR, 4, 4, PR_XV_DENIED),
	V("timeout-still", -ETIMEDOUT, 4, 4, PR_XV_HANG),
	V("timeout-moved", -ETIMEDOUT, 4, 5, PR_XV_ERROR),
	V("retry-exceeded-still", IBV_WC_RETRY_EXC_ERR, 4, 4, PR_XV_ERROR),
	V("post-failed", -EINVAL, 4, 4, PR_XV_ERROR),
	{"live-bad-rkey", PR_NEED_RDMA, NULL},
	{}};

static void live(struct pr_ctx *ctx, struct pr_result *res)
{
	const size_t len = 65536;
	struct pr_rdma r = {0};
	struct ibv_mr *mr, bad;
	enum pr_xfer_verdict v;
	char err[256];
	int rc, e = 0;
	void *buf = mmap(NULL, len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (buf == MAP_FAILED)
		return pr_error(res, errno, "mmap: %s", strerror(errno));
	memset(buf, 0x5a, len);
	rc = pr_rdma_open(&r, ctx->rdma_dev, len, err, sizeof(err));
	if (rc) {
		munmap(buf, len);
		return pr_error(res, -rc, "%s", err);
	}
	mr = pr_rdma_reg(&r, buf, len,
			 IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_READ, &e);
	if (!mr) {
		pr_error(res, e, "ibv_reg_mr of anonymous memory: %s",
			 strerror(e));
		goto out;
	}
	rc = pr_rdma_xfer(&r, 0, mr, 0, len, ctx->prof.cqe_timeout_ms, err,
			  sizeof(err));
	v = pr_xfer_verdict(rc, 2, 2);
	if (v != PR_XV_OK) {
		pr_error(res, 0, "the control READ with the right key: %s (%s)",
			 pr_xfer_verdict_name(v), err);
		goto dereg;
	}
	bad = *mr;
	bad.rkey ^= 1; /* same MR index, wrong key */
	rc = pr_rdma_xfer(&r, 0, &bad, 0, len, ctx->prof.cqe_timeout_ms, err,
			  sizeof(err));
	v = pr_xfer_verdict(rc, 2, 2);
	if (v != PR_XV_DENIED)
		pr_fail(res, PR_F_SELFTEST,
			"READ with rkey 0x%x (the MR's is 0x%x): verdict %s, want denied (rc %d: %s)",
			bad.rkey, mr->rkey, pr_xfer_verdict_name(v), rc,
			rc ? err : "completed");
	else
		pr_note(res, "READ with a wrong rkey: %s -> denied", err);
dereg:
	ibv_dereg_mr(mr);
out:
	pr_rdma_close(&r);
	munmap(buf, len);
}

static void body(struct pr_ctx *ctx, const struct pr_case *c,
		 struct pr_result *res)
{
	const struct probe *p = c->variant->priv;
	enum pr_xfer_verdict v;

	if (!p)
		return live(ctx, res);
	v = pr_xfer_verdict(p->rc, p->seq_post, p->seq_now);
	if (v != p->want)
		pr_fail(res, PR_F_SELFTEST,
			"rc %d, seq %llu at post, %llu now: %s, want %s", p->rc,
			(unsigned long long)p->seq_post,
			(unsigned long long)p->seq_now, pr_xfer_verdict_name(v),
			pr_xfer_verdict_name(p->want));
}

static const struct pr_test test = {
	.name = "selftest-xfer",
	.desc = "the verdict on a failed RDMA transfer: raced, hang, access-error",
	.variants = variants,
	.body = body,
};

PR_TEST_MAIN(test)
