// SPDX-License-Identifier: GPL-2.0
/* The VFIO cases' DMA engine: edu or NVMe, one copy interface. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vengine.h"

int pr_vengine_pick(struct pr_vfio *v, enum pr_vengine_kind *kind, char *why,
		    size_t len)
{
	const char *lba = getenv(PR_VENGINE_LBA_ENV);
	long cls = pr_vfio_class(v);
	uint64_t start, count;

	if (cls == PR_NVME_CLASS) {
		*kind = PR_VENGINE_NVME;
		if (!lba || !*lba) {
			snprintf(
				why, len,
				"NVMe %s: no LBA range the suite may overwrite (config key vfio_nvme_lba = START+COUNT; $%s unset)",
				v->bdf, PR_VENGINE_LBA_ENV);
			return -ENODEV;
		}
		if (pr_nvme_parse_lba(lba, &start, &count)) {
			snprintf(why, len,
				 "NVMe %s: $%s '%s' is not START+COUNT", v->bdf,
				 PR_VENGINE_LBA_ENV, lba);
			return -EINVAL;
		}
		return 0;
	}
	if (!pr_edu_check(v)) {
		*kind = PR_VENGINE_EDU;
		return 0;
	}
	snprintf(
		why, len,
		"%s (PCI class 0x%06lx) is neither QEMU's edu (1234:11e8) nor an NVMe controller: its DMA engine is unknown",
		v->bdf, cls);
	return -ENODEV;
}

int pr_vengine_open(struct pr_vengine *e, struct pr_vfio *v, char *why,
		    size_t len)
{
	uint64_t start = 0, count = 0;
	int rc;

	*e = (struct pr_vengine){.v = v};
	rc = pr_vengine_pick(v, &e->kind, why, len);
	if (rc)
		return rc;
	if (e->kind == PR_VENGINE_EDU) {
		e->name = "edu";
		e->max_xfer = PR_EDU_MAX_XFER;
		return 0;
	}
	e->name = "nvme";
	pr_nvme_parse_lba(getenv(PR_VENGINE_LBA_ENV), &start, &count);
	rc = pr_nvme_open(&e->nvme, v, start, count, why, len);
	if (rc) {
		char what[200];

		snprintf(what, sizeof(what), "%s", why);
		snprintf(why, len, "NVMe %s: %s", v->bdf, what);
		return rc == -ENODEV ? -EIO : rc;
	}
	e->max_xfer = e->nvme.max_xfer;
	return 0;
}

void pr_vengine_close(struct pr_vengine *e)
{
	if (e->kind == PR_VENGINE_NVME)
		pr_nvme_close(&e->nvme);
	e->kind = 0;
}

/* @len rounded up to whole LBAs. */
static uint32_t lbas(struct pr_vengine *e, uint64_t len)
{
	uint32_t lba = e->nvme.lba_size;

	return (len + lba - 1) / lba * lba;
}

int pr_vengine_copy(struct pr_vengine *e, uint64_t src, uint64_t dst,
		    uint64_t len, int timeout_ms, uint64_t *xfers)
{
	int rc = 0;

	if (e->kind == PR_VENGINE_EDU) {
		rc = pr_edu_copy(e->v, src, dst, len, timeout_ms);
		if (!rc)
			*xfers += (len + e->max_xfer - 1) / e->max_xfer * 2;
		return rc;
	}
	for (uint64_t done = 0; !rc && done < len; done += e->max_xfer) {
		uint32_t n = lbas(e, len - done < e->max_xfer ? len - done
							      : e->max_xfer);

		rc = pr_nvme_rw(&e->nvme, src + done, n, 1, timeout_ms);
		if (!rc)
			rc = pr_nvme_rw(&e->nvme, dst + done, n, 0, timeout_ms);
		*xfers += 2;
	}
	return rc;
}

int pr_vengine_start(struct pr_vengine *e, uint64_t src, uint64_t dst,
		     uint32_t len, int timeout_ms)
{
	int rc;

	if (len > e->max_xfer)
		return -EINVAL;
	if (e->kind == PR_VENGINE_EDU) {
		rc = pr_edu_dma(e->v, src, 0, len, 0, timeout_ms);
		e->start_xfer = len;
		return rc ? rc : pr_edu_start(e->v, dst, 0, len, 1, timeout_ms);
	}
	e->start_xfer = lbas(e, len);
	rc = pr_nvme_rw(&e->nvme, src, e->start_xfer, 1, timeout_ms);
	return rc ? rc : pr_nvme_submit(&e->nvme, dst, e->start_xfer, 0);
}

int pr_vengine_busy(struct pr_vengine *e)
{
	return e->kind == PR_VENGINE_EDU ? pr_edu_busy(e->v)
					 : pr_nvme_busy(&e->nvme);
}

int pr_vengine_wait(struct pr_vengine *e, uint64_t dst, int timeout_ms)
{
	if (e->kind == PR_VENGINE_EDU)
		return pr_edu_wait(e->v, dst, e->start_xfer, 1, timeout_ms);
	return pr_nvme_wait(&e->nvme, timeout_ms);
}

const char *pr_vengine_strerror(struct pr_vengine *e, int rc, char *buf,
				size_t len)
{
	char s[80];

	if (rc == -PR_NVME_STATUS)
		snprintf(buf, len, "the device completed it with an error: %s",
			 pr_nvme_status_name(e->nvme.status, s, sizeof(s)));
	else
		snprintf(buf, len, "%s", strerror(-rc));
	return buf;
}
