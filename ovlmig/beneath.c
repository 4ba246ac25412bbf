// SPDX-License-Identifier: MIT
#include "beneath.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* no symlink at all (the last name included), no /proc magic link, no
 * other mount, nothing above DIRFD */
#define CONFINED (RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | \
		  RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV)

int beneath_open(int dirfd, const char *rel, int flags, mode_t mode)
{
	struct open_how how = {
		.flags = (uint64_t)(flags | O_CLOEXEC),
		.mode = flags & O_CREAT ? mode : 0,
		.resolve = CONFINED,
	};

	/* EAGAIN (a ".." raced with a rename) is left to the caller: a
	 * changed tree, not something to retry against a hostile workload */
	return (int)syscall(SYS_openat2, dirfd, *rel ? rel : ".", &how, sizeof(how));
}

int beneath_parent(int dirfd, const char *rel, const char **name)
{
	const char *slash = strrchr(rel, '/');
	char *dir;
	int fd, e;

	*name = slash ? slash + 1 : rel;
	if (*rel == '/' || !**name || !strcmp(*name, ".") || !strcmp(*name, "..")) {
		errno = EINVAL;
		return -1;
	}
	if (!slash)
		return beneath_open(dirfd, ".", O_RDONLY | O_DIRECTORY, 0);
	dir = strndup(rel, (size_t)(slash - rel));
	if (!dir)
		return -1;
	fd = beneath_open(dirfd, dir, O_RDONLY | O_DIRECTORY, 0);
	e = errno;
	free(dir);
	errno = e;
	return fd;
}

int beneath_open_regular(int dirfd, const char *name, int flags,
			 struct stat *st)
{
	char proc[32];
	int path, fd = -1, e;

	if (strchr(name, '/')) {
		errno = EINVAL;
		return -1;
	}
	/* a symlink is opened as itself, then refused as not regular */
	path = beneath_open(dirfd, name, O_PATH | O_NOFOLLOW, 0);
	if (path < 0)
		return -1;
	if (fstat(path, st) < 0) {
		e = errno;
	} else if (!S_ISREG(st->st_mode)) {
		e = ENOENT;
	} else {
		/* reopening the O_PATH fd opens that very inode, whatever
		 * took the name meanwhile */
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", path);
		fd = open(proc, flags | O_CLOEXEC);
		e = errno;
	}
	close(path);
	errno = e;
	return fd;
}

bool beneath_changed(int errnum)
{
	return errnum == ELOOP || errnum == EXDEV || errnum == ENOTDIR ||
	       errnum == EAGAIN;
}

bool beneath_workload_changed(int errnum, const char *what, const char *rel)
{
	if (errnum == ENOENT)
		return true;
	if (!beneath_changed(errnum))
		return false;
	fprintf(stderr, "ovlmig: not %s, the workload changed its path: /%s: %s\n",
		what, rel, strerror(errnum));
	return true;
}
