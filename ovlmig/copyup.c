// SPDX-License-Identifier: MIT
#include "copyup.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "beneath.h"

/* ATTR of NAME (a file or directory, not a symlink) in DIRFD ("." for
 * itself), read through an fd of exactly that entry */
static ssize_t upper_xattr(int dirfd, const char *name, const char *attr,
			   char *buf, size_t size)
{
	char proc[32];
	int fd = beneath_open(dirfd, name, O_PATH, 0), e;
	ssize_t n;

	if (fd < 0)
		return -1;
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	n = getxattr(proc, attr, buf, size);
	e = errno;
	close(fd);
	errno = e;
	return n;
}

bool copyup_done(int upper_dir, const char *name, mode_t mode)
{
	struct stat st;

	if (fstatat(upper_dir, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return false;
	if (!S_ISREG(mode))
		return true;
	/* a metacopy upper still takes its data from below */
	return upper_xattr(upper_dir, name, "trusted.overlay.metacopy", NULL, 0) < 0 &&
	       errno == ENODATA;
}

bool is_opaque(int upper_dir, const char *name)
{
	char v[2];

	return upper_xattr(upper_dir, name, "trusted.overlay.opaque", v,
			   sizeof(v)) == 1 && v[0] == 'y';
}

char *copyup_redirect(int upper_dir, const char *name)
{
	char buf[PATH_MAX];
	ssize_t n = upper_xattr(upper_dir, name, "trusted.overlay.redirect",
				buf, sizeof(buf) - 1);

	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	return strdup(buf);
}

int copyup_by_times(int ovl_dir, const char *name, const struct stat *st)
{
	struct timespec ts[2] = { st->st_atim, st->st_mtim };
	struct stat now;
	int fd, rc = 0;

	/* the entry itself (a symlink too), never across a mount */
	fd = beneath_open(ovl_dir, name, O_PATH | O_NOFOLLOW, 0);
	if (fd < 0)
		return -errno;
	/* still the entry that was looked at: its times go on no other */
	if (fstat(fd, &now) < 0)
		rc = -errno;
	else if (now.st_ino != st->st_ino || now.st_dev != st->st_dev)
		rc = -ENOENT;
	else if (utimensat(fd, "", ts, AT_EMPTY_PATH) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

int copyup_entry(int ovl_dir, const char *name, const struct stat *st)
{
	struct stat now;
	int fd;

	if (S_ISREG(st->st_mode)) {
		/* only a regular file: a device or FIFO the workload put in
		 * its place is never opened */
		fd = beneath_open_regular(ovl_dir, name, O_WRONLY | O_NONBLOCK |
					  O_NOCTTY, &now);
		if (fd < 0)
			return -errno;
		close(fd);
		return 0;
	}
	return copyup_by_times(ovl_dir, name, st);
}
