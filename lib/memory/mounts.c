// SPDX-License-Identifier: GPL-2.0
/* Finding a mount in /proc/mounts and mounting it again. */
#include <errno.h>
#include <mntent.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <time.h>
#include <unistd.h>

#include "mounts.h"

int pr_mount_find(const char *dir, struct pr_mount *m)
{
	FILE *f = setmntent("/proc/mounts", "re");
	struct mntent *e;
	int rc = -ENOENT;

	if (!f)
		return -errno;
	/* the last entry wins: a later mount hides an earlier one */
	while ((e = getmntent(f)))
		if (!strcmp(e->mnt_dir, dir)) {
			snprintf(m->dev, sizeof(m->dev), "%s", e->mnt_fsname);
			snprintf(m->dir, sizeof(m->dir), "%s", e->mnt_dir);
			snprintf(m->type, sizeof(m->type), "%s", e->mnt_type);
			snprintf(m->opts, sizeof(m->opts), "%s", e->mnt_opts);
			rc = 0;
		}
	endmntent(f);
	return rc;
}

/* The options mount(8) turns into flags; the rest go to the filesystem. */
static const struct {
	const char *name;
	unsigned long flag;
} vfs_opts[] = {
	{"ro", MS_RDONLY},
	{"rw", 0},
	{"nosuid", MS_NOSUID},
	{"nodev", MS_NODEV},
	{"noexec", MS_NOEXEC},
	{"sync", MS_SYNCHRONOUS},
	{"dirsync", MS_DIRSYNC},
	{"noatime", MS_NOATIME},
	{"nodiratime", MS_NODIRATIME},
	{"relatime", MS_RELATIME},
	{"strictatime", MS_STRICTATIME},
	{"lazytime", MS_LAZYTIME},
	{"seclabel", 0},
};

static unsigned long split_opts(const char *opts, char *data, size_t len)
{
	char buf[512], *save = NULL;
	unsigned long flags = 0;
	size_t used = 0;

	snprintf(buf, sizeof(buf), "%s", opts);
	data[0] = '\0';
	for (char *o = strtok_r(buf, ",", &save); o;
	     o = strtok_r(NULL, ",", &save)) {
		size_t i, n = sizeof(vfs_opts) / sizeof(vfs_opts[0]);

		for (i = 0; i < n && strcmp(o, vfs_opts[i].name); i++)
			;
		if (i < n)
			flags |= vfs_opts[i].flag;
		else if (used < len)
			used += snprintf(data + used, len - used, "%s%s",
					 used ? "," : "", o);
	}
	return flags;
}

int pr_mount_cycle(const struct pr_mount *m, char *err, size_t len)
{
	struct timespec pause = {0, 50 * 1000 * 1000};
	unsigned long flags;
	char data[512];
	int rc = -1;

	sync();
	for (int i = 0; i < 20 && rc; i++) {
		rc = umount(m->dir);
		if (rc && errno != EBUSY)
			break;
		if (rc)
			nanosleep(&pause, NULL);
	}
	if (rc) {
		snprintf(err, len, "umount %s: %s", m->dir, strerror(errno));
		return -errno;
	}
	flags = split_opts(m->opts, data, sizeof(data));
	if (!mount(m->dev, m->dir, m->type, flags, data))
		return 0;
	rc = -errno;
	snprintf(err, len, "mount -t %s -o %s %s %s: %s", m->type, m->opts,
		 m->dev, m->dir, strerror(-rc));
	/* the fs must not stay unmounted: once more, then with no options */
	if (!mount(m->dev, m->dir, m->type, flags, data) ||
	    !mount(m->dev, m->dir, m->type, 0, NULL))
		strncat(err, " (mounted on a second try)",
			len - strlen(err) - 1);
	return rc;
}
