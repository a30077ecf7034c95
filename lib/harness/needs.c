// SPDX-License-Identifier: GPL-2.0
/*
 * Requirement probes.  Each tries the real thing once per process and
 * caches the answer: unmet is a SKIP naming the missing piece; configured
 * but broken (a named device that does not open, a DAX directory that is
 * not DAX) is an ERROR.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backing.h"
#include "kmsg.h"
#include "pin.h"
#include "pinrace.h"
#include "vengine.h"
#include "verbs.h"

struct probe {
	int done;
	int status;
	char why[512];
};

static const char *const need_names[PR_NEED_NBITS] = {
	"root", "rdma",	    "odp",     "dax",	    "scratch", "reflink",
	"kmsg", "io_uring", "odirect", "secretmem", "vfio",
};

const char *pr_need_name(unsigned int bit)
{
	for (int i = 0; i < PR_NEED_NBITS; i++)
		if (bit == 1u << i)
			return need_names[i];
	return "?";
}

static int say(struct probe *p, int status, const char *fmt, const char *a,
	       const char *b)
{
	p->status = status;
	snprintf(p->why, sizeof(p->why), fmt, a, b);
	return status;
}

/* Why the setup could not provide what $ENV names ($ENV_LACKS), or NULL. */
static const char *lacks(const char *env)
{
	char name[96];
	const char *why;

	if (!env)
		return NULL;
	snprintf(name, sizeof(name), "%s_LACKS", env);
	why = getenv(name);
	return why && *why ? why : NULL;
}

static int probe_root(struct probe *p, const struct pr_backing *b)
{
	(void)b;
	if (geteuid())
		return say(p, PR_SKIP, "needs root (euid %s)%s", "!= 0", "");
	return PR_PASS;
}

/* Open the device as a case would; PR_PASS with its ODP support. */
static int rdma_probe_open(struct probe *p, int *odp)
{
	const char *dev = getenv("PINRACE_RDMA_DEV");
	struct pr_rdma r;
	char err[200];

	if ((!dev || !*dev) && lacks("PINRACE_RDMA_DEV"))
		return say(p, PR_SKIP, "no RDMA device: %s%s",
			   lacks("PINRACE_RDMA_DEV"), "");
	if (pr_rdma_open(&r, dev && *dev ? dev : NULL, 0, err, sizeof(err)))
		/* A device that was named but fails is broken setup. */
		return say(p, dev && *dev ? PR_ERROR : PR_SKIP, "%s%s", err,
			   "");
	*odp = pr_rdma_has_odp(&r);
	pr_rdma_close(&r);
	return PR_PASS;
}

static int probe_rdma(struct probe *p, const struct pr_backing *b)
{
	int odp;

	(void)b;
	return rdma_probe_open(p, &odp);
}

static int probe_odp(struct probe *p, const struct pr_backing *b)
{
	const char *dev = getenv("PINRACE_RDMA_DEV");
	int odp;

	(void)b;
	if (rdma_probe_open(p, &odp) != PR_PASS)
		return p->status;
	if (!odp)
		return say(
			p, PR_SKIP,
			"no ODP: RDMA device %s offers no RC ODP for RDMA READ and WRITE%s",
			dev && *dev ? dev : "(first)", "");
	return PR_PASS;
}

/* A probe file in the backing's directory; -1 with @p filled on failure. */
static int probe_file(struct probe *p, const struct pr_backing *b,
		      const char *tag, char *path, size_t len)
{
	const char *dir = pr_backing_dir(b);
	int fd;

	snprintf(path, len, "%s/pinrace-%d-probe-%s", dir, getpid(), tag);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		say(p, PR_ERROR, "cannot create a file in %s: %s", dir,
		    strerror(errno));
	return fd;
}

static int probe_scratch(struct probe *p, const struct pr_backing *b)
{
	const char *dir = pr_backing_dir(b);
	char path[600], fsname[32];
	struct stat st;
	int fd, dax;

	if (!dir && lacks(b->dir_env))
		return say(p, PR_SKIP, "no %s directory: %s", b->kind,
			   lacks(b->dir_env));
	if (!dir)
		return say(p, PR_SKIP, "no %s directory ($%s unset)", b->kind,
			   b->dir_env);
	if (stat(dir, &st) || !S_ISDIR(st.st_mode))
		return say(p, PR_ERROR, "$%s=%s is not a directory", b->dir_env,
			   dir);
	if (b->fs && strcmp(pr_backing_fs(b, fsname, sizeof(fsname)), b->fs))
		return say(p, PR_ERROR,
			   "%s is %s, not the filesystem this backing names",
			   dir, fsname);
	fd = probe_file(p, b, "dax", path, sizeof(path));
	if (fd < 0)
		return p->status;
	dax = pr_fd_is_dax(fd);
	close(fd);
	unlink(path);
	if (dax != b->dax)
		return say(
			p, PR_ERROR,
			b->dax ? "%s is not DAX (statx shows no STATX_ATTR_DAX): %s"
			       : "%s is DAX, but the %s backing needs the page cache",
			dir, b->dax ? "mount it with -o dax=always" : b->kind);
	return PR_PASS;
}

static int probe_dax(struct probe *p, const struct pr_backing *b)
{
	if (!pr_backing_dir(b) && lacks(b->dir_env))
		return say(p, PR_SKIP, "no DAX filesystem: %s%s",
			   lacks(b->dir_env), "");
	if (!pr_backing_dir(b))
		return say(p, PR_SKIP, "no DAX filesystem ($%s unset)%s",
			   b->dir_env, "");
	return probe_scratch(p, b);
}

static int probe_reflink(struct probe *p, const struct pr_backing *b)
{
	char src[600], dst[600], fsname[32];
	int s, d, rc;

	if (b->memfd) /* tmpfs has no FICLONE */
		return say(p, PR_SKIP,
			   "no reflink: %s files cannot be cloned%s", b->kind,
			   "");
	if (probe_scratch(p, b) != PR_PASS)
		return p->status;
	s = probe_file(p, b, "src", src, sizeof(src));
	d = s < 0 ? -1 : probe_file(p, b, "dst", dst, sizeof(dst));
	if (d < 0) {
		if (s >= 0)
			close(s), unlink(src);
		return p->status;
	}
	rc = pwrite(s, "reflink?", 8, 0) == 8 && fsync(s) == 0
		     ? ioctl(d, FICLONE, s)
		     : -1;
	if (rc && lacks(b->dir_env))
		say(p, PR_SKIP, "no reflink: %s%s", lacks(b->dir_env), "");
	else if (rc)
		say(p, PR_SKIP, "no reflink: FICLONE on %s: %s",
		    pr_backing_fs(b, fsname, sizeof(fsname)), strerror(errno));
	close(s), close(d), unlink(src), unlink(dst);
	return rc ? PR_SKIP : PR_PASS;
}

static int probe_kmsg(struct probe *p, const struct pr_backing *b)
{
	struct pr_kmsg k;
	int rc;

	(void)b;
	rc = pr_kmsg_open(&k);
	if (!rc) {
		pr_kmsg_close(&k);
		rc = pr_kmsg_write("pinrace: probing /dev/kmsg");
	}
	if (rc)
		return say(p, PR_SKIP, "/dev/kmsg not usable: %s%s",
			   strerror(-rc), "");
	return PR_PASS;
}

/* The pin sources' own probes (lib/pin/pin.h): try the real thing. */
#define SOURCE_PROBE(fn, name)                                                 \
	static int probe_##name(struct probe *p, const struct pr_backing *b)   \
	{                                                                      \
		(void)b;                                                       \
		if (fn(p->why, sizeof(p->why)))                                \
			return p->status = PR_SKIP;                            \
		return PR_PASS;                                                \
	}
SOURCE_PROBE(pr_uring_probe, io_uring)
SOURCE_PROBE(pr_odirect_probe, odirect)
SOURCE_PROBE(pr_secretmem_probe, secretmem)

/*
 * The device the setup bound to vfio-pci (the guest's edu; --host: the
 * config's vfio_device): its group and container open, BAR0 maps, and its
 * DMA engine is one the cases drive (vengine.h: edu, or NVMe with the LBA
 * range the config allows the suite to overwrite).
 */
static int probe_vfio(struct probe *p, const struct pr_backing *b)
{
	const char *dev = getenv("PINRACE_VFIO_DEV");
	enum pr_vengine_kind kind;
	struct pr_vfio v;
	char err[300];
	int rc;

	(void)b;
	if ((!dev || !*dev) && lacks("PINRACE_VFIO_DEV"))
		return say(p, PR_SKIP, "no VFIO device: %s%s",
			   lacks("PINRACE_VFIO_DEV"), "");
	if (!dev || !*dev)
		return say(
			p, PR_SKIP,
			"no VFIO device named in the config (vfio_device; $%s unset)%s",
			"PINRACE_VFIO_DEV", "");
	rc = pr_vfio_open(&v, dev, err, sizeof(err));
	if (!rc) {
		rc = pr_vengine_pick(&v, &kind, err, sizeof(err));
		if (rc)
			rc = say(p, rc == -ENODEV ? PR_SKIP : PR_ERROR, "%s%s",
				 err, "");
	} else {
		rc = say(p, PR_ERROR, "%s%s", err, ""); /* named but broken */
	}
	pr_vfio_close(&v);
	return rc;
}

typedef int (*probe_fn)(struct probe *, const struct pr_backing *);
static const probe_fn probes[PR_NEED_NBITS] = {
	probe_root,    probe_rdma,	probe_odp,  probe_dax,
	probe_scratch, probe_reflink,	probe_kmsg, probe_io_uring,
	probe_odirect, probe_secretmem, probe_vfio,
};

/* Per-backing bits are cached per backing; the rest once. */
#define PER_BACKING (PR_NEED_DAX | PR_NEED_SCRATCH | PR_NEED_REFLINK)
#define MAX_BACKINGS 8
static struct {
	const struct pr_backing *b;
	struct probe p[PR_NEED_NBITS];
} cache[MAX_BACKINGS + 1];

static struct probe *cached(const struct pr_backing *b, int bit)
{
	int i;

	if (!((1u << bit) & PER_BACKING))
		return &cache[MAX_BACKINGS].p[bit];
	for (i = 0; i < MAX_BACKINGS && cache[i].b && cache[i].b != b; i++)
		;
	if (i == MAX_BACKINGS)
		i = MAX_BACKINGS - 1; /* over capacity: share the last slot */
	cache[i].b = b;
	return &cache[i].p[bit];
}

int pr_needs_check(struct pr_ctx *ctx, const struct pr_case *c,
		   unsigned int needs, char *why, size_t len)
{
	(void)ctx;
	for (int bit = 0; bit < PR_NEED_NBITS; bit++) {
		struct probe *p;

		if (!(needs & (1u << bit)))
			continue;
		p = cached(c->backing, bit);
		if (!p->done) {
			p->status = PR_PASS;
			if (((1u << bit) & PER_BACKING) && !c->backing)
				say(p, PR_ERROR,
				    "test bug: %s need without a backing%s",
				    need_names[bit], "");
			else
				probes[bit](p, c->backing);
			p->done = 1;
		}
		if (p->status != PR_PASS) {
			snprintf(why, len, "%s", p->why);
			return p->status;
		}
	}
	return PR_PASS;
}
