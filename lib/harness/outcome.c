// SPDX-License-Identifier: GPL-2.0
/* Names of statuses and findings, as they appear in TAP and results.jsonl. */
#include <string.h>

#include "outcome.h"

static const char *const status_names[PR_NSTATUS] = {
	[PR_PASS] = "pass",   [PR_FAIL] = "fail", [PR_XFAIL] = "xfail",
	[PR_XPASS] = "xpass", [PR_SKIP] = "skip", [PR_ERROR] = "error",
};

static const char *const finding_names[PR_NFINDING] = {
	[PR_F_NONE] = "none",
	[PR_F_REFUSED] = "refused",
	[PR_F_KERNEL_WARNING] = "kernel-warning",
	[PR_F_IOMMU_FAULT] = "iommu-fault",
	[PR_F_DMABUF_PINNED] = "dmabuf-pinned",
	[PR_F_PIN_LEAK] = "pin-leak",
	[PR_F_ACCOUNTING] = "accounting",
	[PR_F_ACCEPTED_INVALID] = "accepted-invalid",
	[PR_F_ACCESS_ERROR] = "access-error",
	[PR_F_ZERO] = "zero",
	[PR_F_STALE_READ] = "stale-read",
	[PR_F_MISPLACED] = "misplaced",
	[PR_F_TORN] = "torn",
	[PR_F_LOST_WRITE] = "lost-write",
	[PR_F_HANG] = "hang",
	[PR_F_CROSS_FILE] = "cross-file",
	[PR_F_SELFTEST] = "selftest",
};

const char *pr_status_name(enum pr_status s)
{
	return (unsigned int)s < PR_NSTATUS ? status_names[s] : "?";
}

const char *pr_finding_name(enum pr_finding f)
{
	return (unsigned int)f < PR_NFINDING ? finding_names[f] : "?";
}

static int lookup(const char *const *names, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(names[i], name))
			return i;
	return -1;
}

int pr_finding_from_name(const char *name)
{
	return lookup(finding_names, PR_NFINDING, name);
}

int pr_status_from_name(const char *name)
{
	return lookup(status_names, PR_NSTATUS, name);
}
