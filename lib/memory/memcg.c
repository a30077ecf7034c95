// SPDX-License-Identifier: GPL-2.0
/* A cgroup v2 group of our own, for reclaim on demand. */
#include <errno.h>
#include <fcntl.h>
#include <mntent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "memcg.h"

static int put(const char *dir, const char *file, const char *val)
{
	char path[400];
	int fd, err = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		err = -errno;
	close(fd);
	return err;
}

static int get(const char *dir, const char *file, char *buf, size_t len)
{
	char path[400];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}

static int has_word(const char *list, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = list; (p = strstr(p, word)); p += n)
		if ((p == list || p[-1] == ' ') &&
		    (p[n] == ' ' || p[n] == '\n' || !p[n]))
			return 1;
	return 0;
}

static int find_root(struct pr_memcg *m)
{
	FILE *f = setmntent("/proc/mounts", "re");
	struct mntent *e;

	if (!f)
		return -errno;
	while ((e = getmntent(f)))
		if (!strcmp(e->mnt_type, "cgroup2")) {
			snprintf(m->root, sizeof(m->root), "%s", e->mnt_dir);
			break;
		}
	endmntent(f);
	if (m->root[0])
		return 0;
	snprintf(m->root, sizeof(m->root), "/tmp/pinrace-cgroup-%d", getpid());
	if (mkdir(m->root, 0700) && errno != EEXIST)
		return -errno;
	if (mount("cgroup2", m->root, "cgroup2", 0, NULL)) {
		int err = -errno;

		rmdir(m->root);
		return err;
	}
	m->mounted = 1;
	return 0;
}

/* Our cgroup v2 path ("0::/a/b" in /proc/self/cgroup), "/" if unknown. */
static void home_group(struct pr_memcg *m)
{
	char line[300];
	FILE *f = fopen("/proc/self/cgroup", "re");

	snprintf(m->home, sizeof(m->home), "/");
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "0::", 3)) {
			line[strcspn(line, "\n")] = '\0';
			snprintf(m->home, sizeof(m->home), "%s", line + 3);
		}
	if (f)
		fclose(f);
}

int pr_memcg_enter(struct pr_memcg *m, char *err, size_t len)
{
	char buf[512], pid[32];
	int rc;

	memset(m, 0, sizeof(*m));
	home_group(m);
	rc = find_root(m);
	if (rc) {
		snprintf(err, len, "no cgroup v2 (mount -t cgroup2: %s)",
			 strerror(-rc));
		return rc == -ENODEV ? -ENOENT : rc;
	}
	if (get(m->root, "cgroup.controllers", buf, sizeof(buf)) ||
	    !has_word(buf, "memory")) {
		snprintf(err, len, "no cgroup v2 memory controller");
		pr_memcg_leave(m);
		return -ENOENT;
	}
	if (!get(m->root, "cgroup.subtree_control", buf, sizeof(buf)) &&
	    !has_word(buf, "memory")) {
		rc = put(m->root, "cgroup.subtree_control", "+memory");
		m->enabled = !rc;
	}
	snprintf(m->group, sizeof(m->group), "%s/pinrace-%d", m->root,
		 getpid());
	snprintf(pid, sizeof(pid), "%d", getpid());
	if (rc || (mkdir(m->group, 0755) && errno != EEXIST) ||
	    (rc = put(m->group, "cgroup.procs", pid))) {
		rc = rc ? rc : -errno;
		snprintf(err, len, "a cgroup of our own under %s: %s", m->root,
			 strerror(-rc));
		pr_memcg_leave(m);
		return rc;
	}
	return 0;
}

static long long current(const struct pr_memcg *m)
{
	char buf[64];

	return get(m->group, "memory.current", buf, sizeof(buf))
		       ? -1
		       : strtoll(buf, NULL, 10);
}

long long pr_memcg_stat(const struct pr_memcg *m, const char *key)
{
	char buf[4096], *p = buf;
	size_t n = strlen(key);

	if (get(m->group, "memory.stat", buf, sizeof(buf)))
		return -1;
	for (; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, key, n) && p[n] == ' ')
			return strtoll(p + n + 1, NULL, 10);
	return -1;
}

int pr_memcg_reclaim(struct pr_memcg *m, size_t bytes, long long *before,
		     long long *after)
{
	char val[32];
	int rc;

	*before = current(m);
	snprintf(val, sizeof(val), "%zu", bytes);
	rc = put(m->group, "memory.reclaim", val);
	*after = current(m);
	return rc == -EAGAIN ? 0 : rc;
}

void pr_memcg_leave(struct pr_memcg *m)
{
	char pid[32], home[600];

	snprintf(pid, sizeof(pid), "%d", getpid());
	snprintf(home, sizeof(home), "%s%s", m->root, m->home);
	if (m->group[0]) {
		if (put(home, "cgroup.procs", pid))
			put(m->root, "cgroup.procs", pid);
		rmdir(m->group);
		m->group[0] = '\0';
	}
	if (m->enabled)
		put(m->root, "cgroup.subtree_control", "-memory");
	if (m->mounted) {
		umount(m->root);
		rmdir(m->root);
	}
	m->enabled = m->mounted = 0;
}
