// SPDX-License-Identifier: GPL-2.0
/* Kernel log markers and scanning through /dev/kmsg records. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kmsg.h"

static const char *const bad_patterns[] = {
	"WARNING:",
	"BUG:",
	"BUG ",
	"Oops",
	"general protection fault",
	"KASAN",
	"UBSAN",
	"possible circular locking",
	"possible recursive locking",
	"inconsistent lock state",
	"DMA-API",
	"blocked for more than",
	"rcu_sched self-detected stall",
	"rcu: INFO:",
	"detected stall",
	"Call Trace",
	"kernel BUG",
	"list_add corruption",
	"list_del corruption",
	NULL,
};

int pr_kmsg_open(struct pr_kmsg *k)
{
	k->fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (k->fd < 0)
		return -errno;
	if (lseek(k->fd, 0, SEEK_END) < 0) {
		int err = -errno;

		close(k->fd);
		k->fd = -1;
		return err;
	}
	return 0;
}

void pr_kmsg_close(struct pr_kmsg *k)
{
	if (k->fd >= 0)
		close(k->fd);
	k->fd = -1;
}

int pr_kmsg_write(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int fd, len, err = 0;

	va_start(ap, fmt);
	len = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (len < 0)
		return -EINVAL;
	if ((size_t)len >= sizeof(line) - 1)
		len = sizeof(line) - 2;
	/* Without the newline the record stays open for continuation and
	 * readers do not see it until the next record is logged. */
	line[len++] = '\n';
	fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, line, len) != len)
		err = -errno;
	close(fd);
	return err;
}

/* IOMMU translation faults: Intel VT-d and AMD-Vi. */
static const char *const iommu_patterns[] = {
	"DMAR: [DMA ",
	"IO_PAGE_FAULT",
	NULL,
};

static int matches(const char *msg, const char *const *patterns)
{
	for (int i = 0; patterns[i]; i++)
		if (strstr(msg, patterns[i]))
			return 1;
	return 0;
}

int pr_kmsg_is_iommu_fault(const char *msg)
{
	return matches(msg, iommu_patterns);
}

int pr_kmsg_is_bad(const char *msg)
{
	return matches(msg, bad_patterns);
}

static void append(char *buf, size_t len, const char *msg, size_t mlen)
{
	size_t used = strlen(buf);

	if (used + 2 >= len)
		return;
	if (mlen > len - used - 2)
		mlen = len - used - 2;
	memcpy(buf + used, msg, mlen);
	buf[used + mlen] = '\n';
	buf[used + mlen + 1] = '\0';
}

/* A record is "prio,seq,usec,flags[,...];message\n[ KEY=value\n...]". */
static int parse_record(char *rec, uint64_t *seq, char **msg, size_t *mlen)
{
	char *semi = strchr(rec, ';');
	char *end;

	if (!semi)
		return -1;
	*seq = strtoull(strchr(rec, ',') ? strchr(rec, ',') + 1 : rec, NULL,
			10);
	*msg = semi + 1;
	end = strchr(*msg, '\n');
	*mlen = end ? (size_t)(end - *msg) : strlen(*msg);
	(*msg)[*mlen] = '\0';
	return 0;
}

int pr_kmsg_scan(struct pr_kmsg *k, uint64_t skip_seq, char *buf, size_t len,
		 uint64_t *last_seq)
{
	return pr_kmsg_scan_match(k, pr_kmsg_is_bad, skip_seq, buf, len,
				  last_seq);
}

int pr_kmsg_scan_match(struct pr_kmsg *k, int (*match)(const char *msg),
		       uint64_t skip_seq, char *buf, size_t len,
		       uint64_t *last_seq)
{
	char rec[8192];
	int nbad = 0;

	if (k->fd < 0)
		return -EBADF;
	for (;;) {
		ssize_t n = read(k->fd, rec, sizeof(rec) - 1);
		uint64_t seq;
		size_t mlen;
		char *msg;

		if (n < 0 && errno == EPIPE)
			continue; /* overwritten records: go on */
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break; /* EAGAIN: nothing more */
		rec[n] = '\0';
		if (parse_record(rec, &seq, &msg, &mlen))
			continue;
		if (last_seq)
			*last_seq = seq;
		if (seq <= skip_seq || !match(msg))
			continue;
		nbad++;
		if (buf)
			append(buf, len, msg, mlen);
	}
	return nbad;
}
