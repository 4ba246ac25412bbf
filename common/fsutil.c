// SPDX-License-Identifier: MIT
#include "fsutil.h"

#include <errno.h>
#include <ftw.h>
#include <libmount.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int remove_one(const char *path, const struct stat *st, int flag,
		      struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path) < 0 && errno != ENOENT ? -1 : 0;
}

int remove_tree(const char *path, struct error **err)
{
	if (nftw(path, remove_one, 32, FTW_DEPTH | FTW_PHYS | FTW_MOUNT) < 0 &&
	    errno != ENOENT)
		return error_set(err, errno, "remove %s", path);
	return 0;
}

int make_dirs(const char *path, unsigned mode, struct error **err)
{
	char *copy = strdup(path), *p;

	if (!copy)
		return error_set(err, ENOMEM, "mkdir %s", path);
	for (p = copy + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(copy, mode) < 0 && errno != EEXIST) {
			error_set(err, errno, "mkdir %s", copy);
			free(copy);
			return -1;
		}
		*p = '/';
	}
	free(copy);
	if (mkdir(path, mode) < 0 && errno != EEXIST)
		return error_set(err, errno, "mkdir %s", path);
	return 0;
}

int is_mountpoint(const char *path)
{
	struct libmnt_table *tb = mnt_new_table();
	char *real = realpath(path, NULL);
	int found = -1;

	if (tb && real && mnt_table_parse_mtab(tb, NULL) == 0)
		found = mnt_table_find_target(tb, real, MNT_ITER_BACKWARD) != NULL;
	mnt_unref_table(tb);
	free(real);
	return found;
}
