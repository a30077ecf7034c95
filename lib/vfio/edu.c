// SPDX-License-Identifier: GPL-2.0
/* The edu DMA engine through VFIO: one transfer, and copies of blocks. */
#include <errno.h>
#include <time.h>
#include <unistd.h>

#include "edu.h"

#define EDU_ID 0x00
#define EDU_DMA_SRC 0x80
#define EDU_DMA_DST 0x88
#define EDU_DMA_CNT 0x90
#define EDU_DMA_CMD 0x98
#define EDU_CMD_START 0x1
#define EDU_CMD_TO_RAM 0x2

static void wr64(struct pr_vfio *v, unsigned int reg, uint64_t val)
{
	*(volatile uint64_t *)(v->bar0 + reg) = val;
}

static uint64_t rd64(struct pr_vfio *v, unsigned int reg)
{
	return *(volatile uint64_t *)(v->bar0 + reg);
}

int pr_edu_check(struct pr_vfio *v)
{
	uint32_t id = *(volatile uint32_t *)(v->bar0 + EDU_ID);

	return v->bar0_len >= 0x100 && (id & 0xff) == 0xed ? 0 : -ENODEV;
}

static int wait_done(struct pr_vfio *v, int timeout_ms)
{
	struct timespec t0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (rd64(v, EDU_DMA_CMD) & EDU_CMD_START) {
		if (pr_vfio_ms_since(&t0) > timeout_ms)
			return -ETIMEDOUT;
		usleep(2000);
	}
	return 0;
}

int pr_edu_start(struct pr_vfio *v, uint64_t iova, uint32_t off, uint32_t len,
		 int to_ram, int timeout_ms)
{
	uint64_t dev = PR_EDU_BUF + off;
	int rc;

	if (!len || len >= PR_EDU_BUF_LEN || off + len > PR_EDU_BUF_LEN)
		return -EINVAL;
	/* the engine ignores new registers while a transfer runs */
	rc = PR_CALL(&v->w, "edu: wait for an earlier DMA", iova, len,
		     wait_done(v, timeout_ms));
	if (rc)
		return rc;
	wr64(v, EDU_DMA_SRC, to_ram ? dev : iova);
	wr64(v, EDU_DMA_DST, to_ram ? iova : dev);
	wr64(v, EDU_DMA_CNT, len);
	wr64(v, EDU_DMA_CMD, EDU_CMD_START | (to_ram ? EDU_CMD_TO_RAM : 0));
	return 0;
}

int pr_edu_busy(struct pr_vfio *v)
{
	return !!(rd64(v, EDU_DMA_CMD) & EDU_CMD_START);
}

int pr_edu_wait(struct pr_vfio *v, uint64_t iova, uint32_t len, int to_ram,
		int timeout_ms)
{
	return PR_CALL(&v->w,
		       to_ram ? "edu: DMA device to RAM"
			      : "edu: DMA RAM to device",
		       iova, len, wait_done(v, timeout_ms));
}

int pr_edu_dma(struct pr_vfio *v, uint64_t iova, uint32_t off, uint32_t len,
	       int to_ram, int timeout_ms)
{
	int rc = pr_edu_start(v, iova, off, len, to_ram, timeout_ms);

	return rc ? rc : pr_edu_wait(v, iova, len, to_ram, timeout_ms);
}

int pr_edu_copy(struct pr_vfio *v, uint64_t src, uint64_t dst, uint64_t len,
		int timeout_ms)
{
	for (uint64_t done = 0; done < len; done += PR_EDU_MAX_XFER) {
		uint32_t n = len - done < PR_EDU_MAX_XFER ? len - done
							  : PR_EDU_MAX_XFER;
		int rc = pr_edu_dma(v, src + done, 0, n, 0, timeout_ms);

		if (!rc)
			rc = pr_edu_dma(v, dst + done, 0, n, 1, timeout_ms);
		if (rc)
			return rc;
	}
	return 0;
}
