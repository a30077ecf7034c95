// SPDX-License-Identifier: GPL-2.0
/*
 * Description: the IOVA bookkeeping of VFIO type1.  Unmapping part of a
 * mapping, or a range that cuts two mappings, is refused or done (errno or
 * bytes unmapped recorded) and the mappings left must still move verified
 * data; a device write to an IOVA after its unmap, or into a read-only
 * mapping, must be faulted by the IOMMU (read from the kernel log) with no
 * byte reaching the page; map/unmap churn with overlapping and invalid
 * ranges must leave the FOLL_PIN counters and VmPin/VmLck where they
 * started; without CAP_IPC_LOCK a mapping past RLIMIT_MEMLOCK must be
 * refused; an unmap while the device's write is in flight must leave the
 * write faulted, not landed.  The self-test makes the device write to an IOVA
 * that was never mapped: the fault detector must report it.
 */
#include <errno.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "vcase.h"
#include "vmstat.h"

#define NBLK 4
#define LEN (NBLK * 4096)
#define PG 4096
#define FAULT_WAIT_MS 3000

static struct pr_expect gen1[NBLK * 8];

/* The device reads the blocks still mapped at [@iova, +@len): verified. */
static void read_back(struct pr_vcase *vc, uint64_t iova, size_t len,
		      const char *label)
{
	size_t first = (iova - PR_VIOVA_MEM) / vc->bs;

	memset(vc->scratch, 0, vc->f.len);
	if (pr_vcase_copy(vc, iova, PR_VIOVA_SCRATCH, len))
		return;
	/* judge the copied blocks; the rest of scratch stays unjudged */
	memmove((char *)vc->scratch + (iova - PR_VIOVA_MEM), vc->scratch, len);
	for (size_t i = 0; i < vc->n; i++)
		gen1[i].gen =
			i >= first && i < first + len / vc->bs ? 1 : PR_GEN_ANY;
	pr_vcase_check(vc, vc->scratch, gen1, NULL, label);
	pr_vcase_model(vc, gen1, 1, 0);
}

/* Unmap [@off, +@len) of the mapping(s) at PR_VIOVA_MEM; the rest works. */
static void unmap_range(struct pr_vcase *vc, size_t off, size_t len,
			const char *what)
{
	uint64_t done;
	int rc = pr_vfio_unmap(&vc->v, PR_VIOVA_MEM + off, len, &done);

	if (rc) {
		pr_refused(vc->res, -rc,
			   "unmapping %s (IOVA 0x%llx, %zu bytes) refused: %s",
			   what, PR_VIOVA_MEM + off, len, strerrorname_np(-rc));
		read_back(vc, PR_VIOVA_MEM, vc->f.len, "still-mapped");
		return;
	}
	pr_note(vc->res, "unmapping %s: accepted, %llu of %zu bytes unmapped",
		what, (unsigned long long)done, len);
	if (off)
		read_back(vc, PR_VIOVA_MEM, off, "still-mapped-before");
}

static void unmap_part(struct pr_vcase *vc)
{
	if (!pr_vcase_map_mem(vc, 1))
		unmap_range(vc, PG, PG, "one page inside a mapping");
}

/* Two mappings side by side: the first and second half of f. */
static int map_two(struct pr_vcase *vc)
{
	size_t half = vc->f.len / 2;
	int rc = pr_vfio_map(&vc->v, vc->f.map, PR_VIOVA_MEM, half, 1);

	if (!rc)
		rc = pr_vfio_map(&vc->v, (char *)vc->f.map + half,
				 PR_VIOVA_MEM + half, half, 1);
	if (rc)
		pr_error(vc->res, -rc, "mapping two halves: %s", strerror(-rc));
	return rc;
}

static void unmap_span_partial(struct pr_vcase *vc)
{
	if (!map_two(vc))
		unmap_range(vc, vc->f.len / 4, vc->f.len / 2,
			    "a range cutting two mappings");
}

static void unmap_span_whole(struct pr_vcase *vc)
{
	uint64_t done = 0, again = 0;
	int rc;

	if (map_two(vc))
		return;
	rc = pr_vfio_unmap(&vc->v, PR_VIOVA_MEM, vc->f.len, &done);
	if (rc)
		return pr_refused(
			vc->res, -rc,
			"unmapping two whole mappings at once refused: %s",
			strerrorname_np(-rc));
	pr_vfio_unmap(&vc->v, PR_VIOVA_MEM, vc->f.len, &again);
	if (done != vc->f.len || again)
		return pr_fail(
			vc->res, PR_F_ACCOUNTING,
			"unmapping two whole mappings (%zu bytes) unmapped %llu, a second unmap %llu",
			vc->f.len, (unsigned long long)done,
			(unsigned long long)again);
	pr_note(vc->res,
		"two whole mappings unmapped at once: %llu bytes, nothing left",
		(unsigned long long)done);
}

/*
 * The device writes generation 2 where it must not: the IOMMU must fault
 * the write (a fault at @iova in the log) and f must keep generation 1.
 */
static void denied_write(struct pr_vcase *vc, uint64_t iova, const char *why)
{
	char line[300], dev[200] = "";
	size_t len = vc->bs < vc->e.max_xfer ? vc->bs : vc->e.max_xfer;
	int n;

	pr_vcase_stamp(vc, vc->scratch, 2, PR_W_RDMA);
	if (pr_vcase_copy_denied(vc, PR_VIOVA_SCRATCH, iova, len, dev,
				 sizeof(dev)) < 0)
		return;
	n = pr_vcase_faults(vc, iova, iova + len, FAULT_WAIT_MS, line,
			    sizeof(line));
	pr_vcase_check(vc, vc->f.map, gen1, NULL, "page-after-denied-write");
	if (n < 0)
		return pr_error(vc->res, -n, "reading the kernel log: %s",
				strerror(-n));
	if (!n)
		return pr_error(
			vc->res, 0,
			"no IOMMU fault logged within %d ms for the device write %s",
			FAULT_WAIT_MS, why);
	if (vc->res->status == PR_PASS)
		pr_note(vc->res,
			"the IOMMU faulted the device write %s (%s)%s%s and no byte reached the page",
			why, line, *dev ? "; the device reported " : "", dev);
}

static void dma_after_unmap(struct pr_vcase *vc)
{
	int rc;

	if (pr_vcase_map_mem(vc, 1))
		return;
	read_back(vc, PR_VIOVA_MEM, vc->bs, "control-read");
	if (vc->res->status != PR_PASS)
		return;
	rc = pr_vfio_unmap(&vc->v, PR_VIOVA_MEM, vc->f.len, NULL);
	if (rc)
		return pr_error(vc->res, -rc, "unmap: %s", strerror(-rc));
	denied_write(vc, PR_VIOVA_MEM, "to an IOVA after its unmap");
}

static long status_kb(const char *field)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, field, strlen(field)))
			kb = strtol(line + strlen(field), NULL, 10);
	if (f)
		fclose(f);
	return kb;
}

/*
 * The device's write is in flight (started, not yet completed: QEMU runs
 * an edu transfer from a 100 ms timer; an NVMe Read completes when its
 * I/O does) when the IOVA is unmapped.  The unmap unpins the page at
 * once; the transfer must then be faulted with no byte reaching the page,
 * which is no longer the device's.
 */
static void unmap_in_flight(struct pr_vcase *vc)
{
	size_t len = vc->bs < vc->e.max_xfer ? vc->bs : vc->e.max_xfer;
	char line[300], dev[200] = "";
	int rc, busy, n;

	if (pr_vcase_map_mem(vc, 1))
		return;
	read_back(vc, PR_VIOVA_MEM, vc->bs, "control-read");
	if (vc->res->status != PR_PASS)
		return;
	/* generation 2 onto the device, then its write aimed at the page */
	pr_vcase_stamp(vc, vc->scratch, 2, PR_W_RDMA);
	if (pr_vcase_start(vc, PR_VIOVA_SCRATCH, PR_VIOVA_MEM, len))
		return;
	rc = pr_vfio_unmap(&vc->v, PR_VIOVA_MEM, vc->f.len, NULL);
	busy = pr_vcase_busy(vc);
	if (rc)
		return pr_error(vc->res, -rc, "unmap: %s", strerror(-rc));
	if (pr_vcase_wait(vc, PR_VIOVA_MEM, dev, sizeof(dev)) < 0)
		return;
	vc->res->ops++;
	if (!busy)
		return pr_skip(
			vc->res,
			"inconclusive: the device's write was done before the unmap returned");
	n = pr_vcase_faults(vc, PR_VIOVA_MEM, PR_VIOVA_MEM + len, FAULT_WAIT_MS,
			    line, sizeof(line));
	pr_vcase_check(vc, vc->f.map, gen1, NULL, "page-after-unmap-in-flight");
	if (n < 0)
		return pr_error(vc->res, -n, "reading the kernel log: %s",
				strerror(-n));
	if (vc->res->status != PR_PASS)
		return;
	if (!n)
		return pr_error(
			vc->res, 0,
			"no IOMMU fault logged within %d ms for the write that was in flight at the unmap, and no byte reached the page",
			FAULT_WAIT_MS);
	pr_note(vc->res,
		"the unmap returned with the device's write in flight; the IOMMU faulted it (%s)%s%s and no byte reached the page",
		line, *dev ? "; the device reported " : "", dev);
}

/* CAP_IPC_LOCK in this thread's effective set: on (1) or off (0). */
static int cap_ipc_lock(int on)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d))
		return -errno;
	if (on)
		d[0].effective |= 1u << CAP_IPC_LOCK;
	else
		d[0].effective &= ~(1u << CAP_IPC_LOCK);
	return syscall(SYS_capset, &h, d) ? -errno : 0;
}

/*
 * Without CAP_IPC_LOCK, type1 charges mappings to locked_vm against
 * RLIMIT_MEMLOCK: a mapping within the limit is done, the next one past it
 * must be refused (ENOMEM), and VmLck must come back when all is unmapped.
 */
static void memlock_limit(struct pr_vcase *vc)
{
	size_t half = vc->f.len / 2;
	struct rlimit old, lim;
	long base, within;
	int rc, over;

	base = status_kb("VmLck:"); /* f's pages are there: stamped */
	if (base < 0 || getrlimit(RLIMIT_MEMLOCK, &old))
		return pr_error(vc->res, errno,
				"reading VmLck or RLIMIT_MEMLOCK");
	lim = old;
	lim.rlim_cur = base * 1024 + half; /* room for one half, not both */
	if (old.rlim_max != RLIM_INFINITY && lim.rlim_cur > old.rlim_max)
		return pr_skip(vc->res,
			       "RLIMIT_MEMLOCK's hard limit is too low");
	rc = cap_ipc_lock(0);
	if (rc)
		return pr_error(vc->res, -rc, "dropping CAP_IPC_LOCK: %s",
				strerror(-rc));
	if (setrlimit(RLIMIT_MEMLOCK, &lim)) {
		rc = -errno;
		cap_ipc_lock(1);
		return pr_error(vc->res, -rc, "setrlimit: %s", strerror(-rc));
	}
	rc = pr_vfio_map(&vc->v, vc->f.map, PR_VIOVA_MEM, half, 1);
	within = status_kb("VmLck:");
	over = rc ? rc
		  : pr_vfio_map(&vc->v, (char *)vc->f.map + half,
				PR_VIOVA_MEM + half, half, 1);
	setrlimit(RLIMIT_MEMLOCK, &old);
	cap_ipc_lock(1);
	if (rc)
		return pr_error(
			vc->res, -rc,
			"a mapping within RLIMIT_MEMLOCK (%llu bytes): %s",
			(unsigned long long)lim.rlim_cur, strerror(-rc));
	vc->res->ops += 2;
	read_back(vc, PR_VIOVA_MEM, half, "within-the-limit");
	pr_vfio_unmap(&vc->v, PR_VIOVA_MEM, vc->f.len, NULL);
	if (!over)
		pr_fail(vc->res, PR_F_ACCOUNTING,
			"a mapping past RLIMIT_MEMLOCK (%llu bytes, VmLck %ld kB) was accepted without CAP_IPC_LOCK",
			(unsigned long long)lim.rlim_cur, within);
	else
		pr_note(vc->res,
			"limit %llu bytes without CAP_IPC_LOCK: a mapping of %zu bytes done (VmLck %ld -> %ld kB), the next refused: %s",
			(unsigned long long)lim.rlim_cur, half, base, within,
			strerrorname_np(-over));
	if (status_kb("VmLck:") != base)
		pr_fail(vc->res, PR_F_ACCOUNTING,
			"VmLck %ld -> %ld kB after unmapping everything", base,
			status_kb("VmLck:"));
}

static void write_read_only(struct pr_vcase *vc)
{
	if (pr_vcase_map_mem(vc, 0))
		return;
	/* page 0 is read; page 1, which the IOMMU has not cached (QEMU
	 * denies a write that hits its IOTLB silently), is written */
	read_back(vc, PR_VIOVA_MEM, vc->bs, "control-read");
	if (vc->res->status == PR_PASS)
		denied_write(vc, PR_VIOVA_MEM + PG, "into a read-only mapping");
}

struct acct {
	struct pr_pins pins;
	long pin_kb, lck_kb;
};

static int acct_read(struct acct *a)
{
	a->pin_kb = status_kb("VmPin:");
	a->lck_kb = status_kb("VmLck:");
	return pr_pins_read(&a->pins);
}

/* One round: map, overlapping and invalid maps, unmap; errnos in @why. */
static void churn_round(struct pr_vcase *vc, char *why, size_t len,
			struct acct *peak)
{
	const struct {
		const char *what;
		uint64_t iova;
		size_t off, len;
	} bad[] = {
		{"overlapping", PR_VIOVA_MEM + PG, 0, 2 * PG},
		{"unaligned IOVA", PR_VIOVA_MEM + 8 * PG + 1, 0, PG},
		{"zero length", PR_VIOVA_MEM + 8 * PG, 0, 0},
	};
	int rc = pr_vfio_map(&vc->v, vc->f.map, PR_VIOVA_MEM, vc->f.len, 1);

	if (rc)
		return pr_error(vc->res, -rc, "map: %s", strerror(-rc));
	if (!peak->pins.acquired)
		acct_read(peak);
	why[0] = '\0';
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		rc = pr_vfio_map(&vc->v, (char *)vc->f.map + bad[i].off,
				 bad[i].iova, bad[i].len, 1);
		snprintf(why + strlen(why), len - strlen(why), "%s%s: %s",
			 i ? ", " : "", bad[i].what,
			 rc ? strerrorname_np(-rc) : "ACCEPTED");
		if (!rc) {
			pr_fail(vc->res, PR_F_ACCEPTED_INVALID,
				"an %s VFIO_IOMMU_MAP_DMA was accepted",
				bad[i].what);
			pr_vfio_unmap(&vc->v, bad[i].iova, bad[i].len, NULL);
		}
	}
	rc = pr_vfio_unmap(&vc->v, PR_VIOVA_MEM, vc->f.len, NULL);
	if (rc)
		pr_error(vc->res, -rc, "unmap: %s", strerror(-rc));
}

static void churn(struct pr_vcase *vc)
{
	struct acct base, peak = {0}, now;
	long long excess = 0;
	char why[256];
	int rounds = 16, rc;

	memset(vc->f.map, 1, vc->f.len); /* populate: pins are real pages */
	if (acct_read(&base))
		return pr_skip(vc->res,
			       "no nr_foll_pin_* counters in /proc/vmstat");
	for (int i = 0; i < rounds && vc->res->status == PR_PASS; i++)
		churn_round(vc, why, sizeof(why), &peak);
	if (vc->res->status == PR_ERROR)
		return;
	pr_note(vc->res, "%d rounds; refused: %s", rounds, why);
	rc = pr_pins_excess(&base.pins, 0, 200, &excess, &now.pins);
	acct_read(&now);
	if (rc)
		return pr_error(vc->res, -rc, "reading nr_foll_pin_*");
	if (pr_pins_held(&peak.pins) - pr_pins_held(&base.pins) <
	    (long long)(vc->f.len / PG))
		return pr_skip(
			vc->res,
			"inconclusive: a mapping of %zu pages raised the pins held by %lld only",
			vc->f.len / PG,
			pr_pins_held(&peak.pins) - pr_pins_held(&base.pins));
	pr_note(vc->res,
		"pins held %lld -> %lld mapped -> %lld; VmPin %ld -> %ld kB; VmLck %ld -> %ld -> %ld kB",
		pr_pins_held(&base.pins), pr_pins_held(&peak.pins),
		pr_pins_held(&now.pins), base.pin_kb, now.pin_kb, base.lck_kb,
		peak.lck_kb, now.lck_kb);
	if (excess)
		pr_fail(vc->res, PR_F_PIN_LEAK,
			"%lld pins still held after %d map/unmap rounds",
			excess, rounds);
	if (now.pin_kb != base.pin_kb || now.lck_kb != base.lck_kb)
		pr_fail(vc->res, PR_F_ACCOUNTING,
			"VmPin %ld -> %ld kB, VmLck %ld -> %ld kB after the churn",
			base.pin_kb, now.pin_kb, base.lck_kb, now.lck_kb);
}

/* Self-test: a write to an IOVA nobody mapped, not declared as aimed. */
static void never_mapped(struct pr_vcase *vc)
{
	char dev[200];

	pr_vcase_stamp(vc, vc->scratch, 2, PR_W_RDMA);
	if (pr_vcase_copy_denied(vc, PR_VIOVA_SCRATCH, PR_VIOVA_NEVER, 256, dev,
				 sizeof(dev)) >= 0)
		pr_vcase_faults(vc, 0, 0, FAULT_WAIT_MS, NULL, 0);
}

static void body(struct pr_ctx *ctx, const struct pr_case *c,
		 struct pr_result *res)
{
	void (*const *step)(struct pr_vcase *) = c->variant->priv;
	struct pr_vcase vc;

	if (!pr_vcase_open(&vc, ctx, c, res, LEN)) {
		pr_vcase_stamp(&vc, vc.f.map, 1, PR_W_MMAP);
		pr_vcase_model(&vc, gen1, 1, 0);
		pr_vcase_run(&vc, *step);
		if (*step != never_mapped)
			pr_vcase_faults(&vc, 0, 0, 0, NULL, 0);
	}
	pr_vcase_close(&vc);
}

typedef void (*step_fn)(struct pr_vcase *);
#define V(n, fn)                                                               \
	{                                                                      \
		n, 0, &(const step_fn)                                         \
		{                                                              \
			fn                                                     \
		}                                                              \
	}
static const struct pr_variant variants[] = {
	V("unmap-part", unmap_part),
	V("unmap-span-partial", unmap_span_partial),
	V("unmap-span-whole", unmap_span_whole),
	V("dma-after-unmap", dma_after_unmap),
	V("unmap-in-flight", unmap_in_flight),
	V("memlock-limit", memlock_limit),
	V("write-read-only", write_read_only),
	V("churn", churn),
	V("selftest-never-mapped", never_mapped),
	{},
};
static const struct pr_must musts[] = {
	{"*/selftest-never-mapped", "fail:iommu-fault", 0},
	{},
};
static const struct pr_backing *const backings[] = {&pr_backing_vfio_anon,
						    NULL};
static const struct pr_test test = {
	.name = "vfio-iova",
	.desc = "VFIO type1 IOVA bookkeeping: partial unmaps, DMA after unmap, read-only writes, churn and pin accounting; IOMMU-fault detector self-test",
	.needs = PR_NEED_VFIO | PR_NEED_KMSG | PR_NEED_ROOT,
	.timeout = 60,
	.backings = backings,
	.variants = variants,
	.musts = musts,
	.body = body,
};

PR_TEST_MAIN(test)
