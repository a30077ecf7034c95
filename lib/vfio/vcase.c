// SPDX-License-Identifier: GPL-2.0
/* The plumbing of the VFIO cases (vcase.h). */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "layout.h"
#include "vcase.h"
#include "watchdog.h"
#include "wdjoin.h"

const struct pr_backing pr_backing_vfio_anon = {.name = "anon", .kind = "anon"};

static int mem_open(struct pr_vcase *vc, size_t len)
{
	const struct pr_backing *b = vc->c->backing;
	struct pr_file *f = &vc->f;
	int rc;

	*f = (struct pr_file){.fd = -1, .len = len, .id = 1};
	if (b == &pr_backing_vfio_anon) {
		snprintf(f->path, sizeof(f->path), "anon");
		f->map = mmap(NULL, len, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (f->map == MAP_FAILED) {
			f->map = NULL;
			return -errno;
		}
		return 0;
	}
	rc = pr_file_open(b, "vfio", len, 1, 0, f);
	if (!rc)
		pr_backing_fs(b, vc->res->fs, sizeof(vc->res->fs));
	return rc;
}

static void mem_close(struct pr_vcase *vc)
{
	struct pr_file *f = &vc->f;

	if (vc->c->backing != &pr_backing_vfio_anon) {
		if (f->map || f->fd >= 0)
			pr_file_close(f);
		return;
	}
	if (f->map)
		munmap(f->map, f->len);
	f->map = NULL;
}

static long long fault_irqs(void);

int pr_vcase_open(struct pr_vcase *vc, struct pr_ctx *ctx,
		  const struct pr_case *c, struct pr_result *res, size_t len)
{
	const char *bdf = getenv("PINRACE_VFIO_DEV");
	char err[300];
	int rc;

	*vc = (struct pr_vcase){
		.ctx = ctx,
		.res = res,
		.c = c,
		.k = {.fd = -1},
		.f = {.fd = -1},
		.bs = ctx->prof.block_size,
		.n = len / ctx->prof.block_size,
		.v = {.container = -1, .group = -1, .device = -1}};
	rc = pr_vfio_open(&vc->v, bdf ? bdf : "", err, sizeof(err));
	if (rc) {
		pr_error(res, -rc, "%s", err);
		return -1;
	}
	rc = pr_vengine_open(&vc->e, &vc->v, err, sizeof(err));
	if (rc == -ENODEV) {
		pr_skip(res, "%s", err);
		return -1;
	}
	if (rc) {
		pr_error(res, -rc, "%s", err);
		return -1;
	}
	if (vc->e.kind == PR_VENGINE_NVME)
		pr_diag("DMA engine: NVMe %s (%s), %llu LBAs of %u bytes; it may write LBAs %llu+%llu",
			bdf, vc->e.nvme.model,
			(unsigned long long)vc->e.nvme.nsze,
			vc->e.nvme.lba_size,
			(unsigned long long)vc->e.nvme.lba_start,
			(unsigned long long)vc->e.nvme.lba_count);
	rc = pr_kmsg_open(&vc->k);
	if (rc) {
		pr_error(res, -rc, "/dev/kmsg: %s", strerror(-rc));
		return -1;
	}
	vc->irqs = fault_irqs(); /* faults count from here */
	vc->scratch = mmap(NULL, len, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (vc->scratch == MAP_FAILED) {
		vc->scratch = NULL;
		pr_error(res, errno, "scratch buffer: %s", strerror(errno));
		return -1;
	}
	memset(vc->scratch, 0, len);
	rc = pr_vfio_map(&vc->v, vc->scratch, PR_VIOVA_SCRATCH, len, 1);
	if (rc) {
		pr_error(res, -rc, "mapping the anonymous scratch buffer: %s",
			 strerror(-rc));
		return -1;
	}
	rc = c->backing ? mem_open(vc, len) : 0;
	if (rc) {
		pr_error(res, -rc, "the %s memory of %zu bytes: %s",
			 c->backing->name, len, strerror(-rc));
		return -1;
	}
	return 0;
}

void pr_vcase_close(struct pr_vcase *vc)
{
	pr_vengine_close(&vc->e);
	pr_vfio_close(&vc->v); /* unmaps and unpins everything */
	mem_close(vc);
	if (vc->scratch)
		munmap(vc->scratch, vc->n * vc->bs);
	pr_kmsg_close(&vc->k);
}

struct run {
	struct pr_vcase *vc;
	void (*fn)(struct pr_vcase *vc);
};

static void *run_thread(void *arg)
{
	struct run *r = arg;

	r->vc->v.w.tid = syscall(SYS_gettid);
	r->fn(r->vc);
	return NULL;
}

void pr_vcase_run(struct pr_vcase *vc, void (*fn)(struct pr_vcase *vc))
{
	struct run r = {vc, fn};
	_Atomic int stop = 1; /* no traffic to wait for: the bound counts */
	pthread_t t;
	struct pr_watchdog wd = {.w = &vc->v.w,
				 .threads = &t,
				 .nw = 1,
				 .bound = vc->ctx->prof.hang_bound,
				 .stop = &stop,
				 .res = vc->res};

	pr_watchdog_signal_setup();
	if (pthread_create(&t, NULL, run_thread, &r))
		return pr_error(vc->res, 0, "pthread_create failed");
	if (pr_watchdog_start(&wd))
		pr_error(vc->res, 0, "starting the watchdog failed");
	if (pr_join_watched(&t, 1, &wd))
		pr_error(
			vc->res, 0,
			"a stuck VFIO call could not be released: the process is abandoned");
	pr_watchdog_stop(&wd);
}

int pr_vcase_map_mem(struct pr_vcase *vc, int writable)
{
	int rc = pr_vfio_map(&vc->v, vc->f.map, PR_VIOVA_MEM, vc->f.len,
			     writable);

	if (rc) {
		pr_refused(
			vc->res, -rc,
			"VFIO_IOMMU_MAP_DMA of the %s mapping, %s for the device, refused: %s",
			vc->c->backing->name,
			writable ? "writable" : "read-only",
			strerrorname_np(-rc));
		return -1;
	}
	vc->mapped = 1;
	pr_diag("%s mapping at IOVA 0x%llx, %s for the device", vc->f.path,
		PR_VIOVA_MEM, writable ? "writable" : "read-only");
	return 0;
}

void pr_vcase_stamp(struct pr_vcase *vc, void *buf, uint32_t gen,
		    uint8_t writer)
{
	struct pr_stamp s = {.file_id = vc->f.id,
			     .gen = gen,
			     .seed = vc->ctx->seed,
			     .writer = writer};

	pr_blk_fill_range(buf, vc->n * vc->bs, vc->bs, &s);
}

void pr_vcase_model(struct pr_vcase *vc, struct pr_expect *m, uint32_t gen,
		    int by_device)
{
	pr_model_fill(m, vc->n, vc->bs, vc->f.id, gen, vc->ctx->seed);
	for (size_t i = 0; i < vc->n; i++)
		m[i].by_device = by_device;
}

/*
 * What a copy's @rc means for the case: a device-reported failure is
 * evidence when @denied (the IOMMU was meant to fault it), else an error.
 */
static int copied(struct pr_vcase *vc, int rc, uint64_t src, uint64_t dst,
		  uint64_t len, int denied, char *why, size_t wlen)
{
	char s[160];

	if (!rc && denied && vc->e.kind == PR_VENGINE_NVME)
		snprintf(why, wlen, "a successful completion");
	if (!rc)
		return 0;
	pr_vengine_strerror(&vc->e, rc, s, sizeof(s));
	if (denied && rc == -PR_NVME_STATUS) {
		snprintf(why, wlen, "%s", s);
		pr_diag("%s DMA 0x%llx -> 0x%llx: %s", vc->e.name,
			(unsigned long long)src, (unsigned long long)dst, s);
		return 1;
	}
	pr_error(vc->res, rc == -PR_NVME_STATUS ? EIO : -rc,
		 "%s DMA 0x%llx -> 0x%llx (%llu bytes): %s", vc->e.name,
		 (unsigned long long)src, (unsigned long long)dst,
		 (unsigned long long)len, s);
	return -1;
}

int pr_vcase_copy(struct pr_vcase *vc, uint64_t src, uint64_t dst, uint64_t len)
{
	int rc = pr_vengine_copy(&vc->e, src, dst, len, PR_VFIO_DMA_TIMEOUT_MS,
				 &vc->res->xfers);

	return copied(vc, rc, src, dst, len, 0, NULL, 0);
}

int pr_vcase_copy_denied(struct pr_vcase *vc, uint64_t src, uint64_t dst,
			 uint64_t len, char *why, size_t wlen)
{
	int rc = pr_vengine_copy(&vc->e, src, dst, len, PR_VFIO_DMA_TIMEOUT_MS,
				 &vc->res->xfers);

	return copied(vc, rc, src, dst, len, 1, why, wlen);
}

int pr_vcase_start(struct pr_vcase *vc, uint64_t src, uint64_t dst,
		   uint32_t len)
{
	int rc =
		pr_vengine_start(&vc->e, src, dst, len, PR_VFIO_DMA_TIMEOUT_MS);

	vc->res->xfers += 2;
	return copied(vc, rc, src, dst, len, 0, NULL, 0);
}

int pr_vcase_busy(struct pr_vcase *vc)
{
	return pr_vengine_busy(&vc->e);
}

int pr_vcase_wait(struct pr_vcase *vc, uint64_t dst, char *why, size_t wlen)
{
	int rc = pr_vengine_wait(&vc->e, dst, PR_VFIO_DMA_TIMEOUT_MS);

	return copied(vc, rc, dst, dst, vc->e.start_xfer, 1, why, wlen);
}

uint64_t pr_vcase_check(struct pr_vcase *vc, const void *buf,
			const struct pr_expect *cur,
			const struct pr_expect *prev, const char *label)
{
	struct pr_vreport vr;
	uint64_t bad;

	pr_vreport_init(&vr);
	bad = pr_verify_model(buf, vc->n, vc->bs, cur, prev, vc->f.path,
			      vc->res->vr.ndumped < PR_VERIFY_MAX_DUMPS
				      ? pr_dumpdir(vc->ctx)
				      : NULL,
			      label, &vr);
	if (bad)
		pr_diag("%s: %llu of %llu blocks bad, first at offset %lld (%s)",
			label, (unsigned long long)bad,
			(unsigned long long)vr.nblocks, (long long)vr.first_bad,
			pr_class_name(vr.first_class));
	pr_result_verified(vc->res, &vr, 1);
	return bad;
}

/* The IOVA a fault line names: VT-d "fault addr", AMD-Vi "address=". */
static int fault_addr(const char *line, uint64_t *addr)
{
	const char *p = strstr(line, "fault addr ");

	if (p)
		p += strlen("fault addr ");
	else if ((p = strstr(line, "address=")))
		p += strlen("address=");
	if (!p)
		return -1;
	*addr = strtoull(p, NULL, 16);
	return 0;
}

/*
 * Fault interrupts of the IOMMUs so far (/proc/interrupts: VT-d's
 * "DMAR-MSI ... dmarN", AMD-Vi's "AMD-Vi"), or -1 if none is listed.
 * The kernel logs at most a few faults per 5 s (dmar_fault() spends its
 * ratelimit on the status line and on every record it walks); the
 * interrupt still counts the ones it does not report.
 */
static long long fault_irqs(void)
{
	char line[1024];
	long long sum = -1;
	FILE *f = fopen("/proc/interrupts", "r");

	while (f && fgets(line, sizeof(line), f)) {
		char *p = strchr(line, ':');

		if (!p || !(strstr(line, "DMAR-MSI") || strstr(line, "AMD-Vi")))
			continue;
		sum = sum < 0 ? 0 : sum;
		for (char *end;; p = end) {
			long long v = strtoll(p + 1, &end, 10);

			if (end == p + 1)
				break;
			sum += v;
		}
	}
	if (f)
		fclose(f);
	return sum;
}

int pr_vcase_faults(struct pr_vcase *vc, uint64_t lo, uint64_t hi, int wait_ms,
		    char *aimed, size_t len)
{
	static const char suppressed[] =
		"an IOMMU fault interrupt whose report the kernel's ratelimit suppressed";
	char buf[4096] = "";
	int n = 0, naimed = 0, lines = 0, irq_at = -1;
	long long irqs;

	if (aimed && len)
		aimed[0] = '\0';
	for (int waited = 0;; waited += 50) {
		n = pr_kmsg_scan_match(&vc->k, pr_kmsg_is_iommu_fault, 0, buf,
				       sizeof(buf), NULL);
		if (n < 0)
			return n;
		irqs = fault_irqs();
		if (irq_at < 0 && irqs > vc->irqs)
			irq_at = waited;
		/* a report follows its interrupt at once, when there is one */
		if (n || waited >= wait_ms ||
		    (irq_at >= 0 && waited >= irq_at + 500))
			break;
		usleep(50 * 1000);
	}
	for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
		uint64_t a;

		lines++;
		if (!fault_addr(line, &a) && a >= lo && a < hi) {
			if (!naimed++ && aimed)
				snprintf(aimed, len, "%s", line);
			continue;
		}
		pr_fail(vc->res, PR_F_IOMMU_FAULT,
			"the IOMMU faulted a device access: %s", line);
	}
	if (!lines && vc->irqs >= 0 && irqs > vc->irqs) {
		if (lo < hi) {
			naimed = 1;
			if (aimed)
				snprintf(aimed, len, "%s", suppressed);
		} else {
			pr_fail(vc->res, PR_F_IOMMU_FAULT, "%s", suppressed);
		}
	}
	vc->irqs = irqs;
	return naimed;
}
