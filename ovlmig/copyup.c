// SPDX-License-Identifier: MIT
#include "copyup.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/xattr.h>
#include <unistd.h>

static ssize_t upper_xattr(int dirfd, const char *name, const char *attr,
			   char *buf, size_t size)
{
	char path[64 + 256];

	if (snprintf(path, sizeof(path), "/proc/self/fd/%d/%s", dirfd, name) >=
	    (int)sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return lgetxattr(path, attr, buf, size);
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

int copyup_entry(int ovl_dir, const char *name, const struct stat *st)
{
	struct timespec ts[2] = { st->st_atim, st->st_mtim };
	int fd;

	if (S_ISREG(st->st_mode)) {
		fd = openat(ovl_dir, name, O_WRONLY | O_NOFOLLOW | O_CLOEXEC |
			    O_NONBLOCK | O_NOCTTY);
		if (fd < 0)
			return -errno;
		close(fd);
		return 0;
	}
	if (utimensat(ovl_dir, name, ts, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	return 0;
}
