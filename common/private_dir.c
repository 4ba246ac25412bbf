// SPDX-License-Identifier: MIT
#include "private_dir.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

/* An entry on the way to DIR: nobody but root may replace what follows. */
static int check_above(const char *what, const char *dir, const char *p,
		       const struct stat *st, struct error **err)
{
	if (S_ISLNK(st->st_mode)) {
		if (st->st_uid != 0)
			return error_set_msg(err, EPERM, "%s %s: symlink %s on its path is owned by uid %u, not root",
					     what, dir, p, (unsigned)st->st_uid);
		return 0;
	}
	if (!S_ISDIR(st->st_mode))
		return error_set(err, ENOTDIR, "%s %s: %s", what, dir, p);
	if (st->st_uid != 0)
		return error_set_msg(err, EPERM, "%s %s: %s above it is owned by uid %u, who could replace it",
				     what, dir, p, (unsigned)st->st_uid);
	/* sticky: others may add names but not rename root's away */
	if ((st->st_mode & 022) && !(st->st_mode & S_ISVTX))
		return error_set_msg(err, EPERM, "%s %s: %s above it is writable by group or others (mode %04o)",
				     what, dir, p, (unsigned)(st->st_mode & 07777));
	return 0;
}

static int check_self(const char *what, const char *dir, const struct stat *st,
		      struct error **err)
{
	if (!S_ISDIR(st->st_mode))
		return error_set(err, ENOTDIR, "%s %s", what, dir);
	if (st->st_uid != 0)
		return error_set_msg(err, EPERM, "%s %s: owned by uid %u, not root",
				     what, dir, (unsigned)st->st_uid);
	if (st->st_mode & 022)
		return error_set_msg(err, EPERM, "%s %s: writable by group or others (mode %04o)",
				     what, dir, (unsigned)(st->st_mode & 07777));
	return 0;
}

/*
 * Every existing prefix of the absolute PATH, "/" first; the whole PATH
 * is DIR itself when LAST_IS_DIR. Stops at the first one that is missing.
 */
static int check_chain(const char *what, const char *dir, const char *path,
		       bool last_is_dir, struct error **err)
{
	size_t len = strlen(path), i = 0, end;
	char *p = malloc(len + 2);
	struct stat st;
	int ret = -1;

	if (!p)
		return error_set(err, ENOMEM, "%s %s", what, dir);
	strcpy(p, "/");
	for (;;) {
		while (path[i] == '/')
			i++;
		end = i + strcspn(path + i, "/");
		if (lstat(p, &st) < 0) {
			if (errno == ENOENT)
				break;
			error_set(err, errno, "%s %s: %s", what, dir, p);
			goto out;
		}
		if (i == len) {		/* p is the whole path */
			int rc = last_is_dir && !S_ISLNK(st.st_mode) ?
				 check_self(what, dir, &st, err) :
				 check_above(what, dir, p, &st, err);

			if (rc < 0)
				goto out;
			break;
		}
		if (check_above(what, dir, p, &st, err) < 0)
			goto out;
		/* p += "/" component */
		if (p[1])
			strcat(p, "/");
		strncat(p, path + i, end - i);
		i = end;
	}
	ret = 0;
out:
	free(p);
	return ret;
}

/* The absolute form of PATH's longest existing prefix, symlinks resolved;
 * *WHOLE: that prefix is PATH itself. */
static char *resolve_existing(const char *path, bool *whole)
{
	char *copy = strdup(path), *real = NULL, *slash;

	*whole = true;
	while (copy && !(real = realpath(copy, NULL)) && errno == ENOENT &&
	       strcmp(copy, "/")) {
		slash = strrchr(copy, '/');
		slash[slash == copy] = '\0';	/* "/x" becomes "/" */
		*whole = false;
	}
	free(copy);
	return real;
}

int dir_check_private(const char *what, const char *dir, struct error **err)
{
	char *abs = NULL, *cwd = NULL, *real;
	bool whole;
	int ret = -1;

	if (dir[0] == '/') {
		abs = strdup(dir);
	} else if ((cwd = get_current_dir_name())) {
		abs = path_join(cwd, dir);
	} else {
		return error_set(err, errno, "%s %s: current directory", what, dir);
	}
	free(cwd);
	if (!abs)
		return error_set(err, ENOMEM, "%s %s", what, dir);
	/* the path as written (its symlinks), then where it really leads */
	if (check_chain(what, dir, abs, true, err) < 0)
		goto out;
	real = resolve_existing(abs, &whole);
	if (!real) {
		error_set(err, errno, "%s %s", what, dir);
		goto out;
	}
	ret = check_chain(what, dir, real, whole, err);
	free(real);
out:
	free(abs);
	return ret;
}

int dir_make_private(const char *what, const char *dir, struct error **err)
{
	if (dir_check_private(what, dir, err) < 0)
		return -1;
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return error_set(err, errno, "create %s %s", what, dir);
	/* again: a sticky parent lets anyone make it between check and mkdir */
	return dir_check_private(what, dir, err);
}
