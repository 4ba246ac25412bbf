// SPDX-License-Identifier: MIT
#include "fsutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <unistd.h>
#include <ftw.h>
#include <libmount.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util.h"

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

/* The mount at PATH as the mount table names it; NULL if none. An
 * aborted FUSE mount cannot be resolved: then PATH is taken as it is. */
static struct libmnt_fs *find_mount(struct libmnt_table *tb, const char *path)
{
	char *real = realpath(path, NULL);
	struct libmnt_fs *fs;

	fs = mnt_table_find_target(tb, real ? real : path, MNT_ITER_BACKWARD);
	free(real);
	return fs;
}

int is_mountpoint(const char *path)
{
	struct libmnt_table *tb = mnt_new_table();
	int found = -1;

	if (tb && mnt_table_parse_mtab(tb, NULL) == 0)
		found = find_mount(tb, path) != NULL;
	mnt_unref_table(tb);
	return found;
}

int mount_devno(const char *path, dev_t *dev)
{
	struct libmnt_table *tb = mnt_new_table();
	struct libmnt_fs *fs;
	int ret = -1;

	if (tb && mnt_table_parse_mtab(tb, NULL) == 0 && (fs = find_mount(tb, path))) {
		*dev = mnt_fs_get_devno(fs);
		ret = 0;
	}
	mnt_unref_table(tb);
	return ret;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Names in a directory, sorted so node ids do not depend on readdir order. */
int dir_names(int dirfd, const char *rel, char ***out, size_t *count,
	      struct error **err)
{
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	DIR *d;
	int fd;

	fd = dup(dirfd);
	if (fd < 0)
		return error_set(err, errno, "read directory /%s", rel);
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return error_set(err, errno, "read directory /%s", rel);
	}
	rewinddir(d);
	errno = 0;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (n == cap) {
			char **nn;

			cap = cap ? cap * 2 : 64;
			nn = reallocarray(names, cap, sizeof(*names));
			if (!nn)
				goto nomem;
			names = nn;
		}
		names[n] = strdup(de->d_name);
		if (!names[n])
			goto nomem;
		n++;
		errno = 0;
	}
	if (errno) {
		error_set(err, errno, "read directory /%s", rel);
		goto fail;
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof(*names), name_cmp);
	*out = names;
	*count = n;
	return 0;
nomem:
	error_set(err, ENOMEM, "read directory /%s", rel);
fail:
	while (n)
		free(names[--n]);
	free(names);
	closedir(d);
	return -1;
}

void dir_names_free(char **names, size_t n)
{
	while (n)
		free(names[--n]);
	free(names);
}

int mount_has_option(const char *path, const char *name, const char *value)
{
	struct libmnt_table *tb = mnt_new_table();
	struct libmnt_fs *fs;
	char *val = NULL;
	size_t len = 0;
	int yes = 0;

	if (tb && mnt_table_parse_mtab(tb, NULL) == 0 && (fs = find_mount(tb, path)) &&
	    mnt_fs_get_option(fs, name, &val, &len) == 0)
		yes = value ? len == strlen(value) && !strncmp(val, value, len) : 1;
	mnt_unref_table(tb);
	return yes;
}

/* fsync the directory that holds PATH, so that a rename in it lasts. */
static int sync_parent(const char *path, struct error **err)
{
	char *copy = strdup(path);
	int dfd, ret = -1;

	if (!copy)
		return error_set(err, ENOMEM, "sync the directory of %s", path);
	dfd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fsync(dfd) < 0)
		error_set(err, errno, "sync the directory of %s", path);
	else
		ret = 0;
	if (dfd >= 0)
		close(dfd);
	free(copy);
	return ret;
}

int file_replace(const char *path, mode_t mode, unsigned flags,
		 file_writer_fn *fill, const void *arg, struct error **err)
{
	char *tmp = NULL;
	int fd, ret = -1;

	if (asprintf(&tmp, "%s.tmp.XXXXXX", path) < 0)
		return error_set(err, ENOMEM, "write %s", path);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		error_set(err, errno, "create %s", tmp);
		free(tmp);
		return -1;
	}
	if (fchmod(fd, mode) < 0)
		error_set(err, errno, "chmod %s", tmp);
	else if (fill(fd, arg, err) < 0)
		error_wrap(err, "write %s", tmp);
	else if ((flags & FILE_DURABLE) && fsync(fd) < 0)
		error_set(err, errno, "fsync %s", tmp);
	else
		ret = 0;
	if (close(fd) < 0 && ret == 0)
		ret = error_set(err, errno, "close %s", tmp);
	if (ret == 0 && rename(tmp, path) < 0)
		ret = error_set(err, errno, "rename %s to %s", tmp, path);
	if (ret < 0)
		unlink(tmp);
	else if (flags & FILE_DURABLE)
		ret = sync_parent(path, err);
	free(tmp);
	return ret;
}

struct bytes {
	const void *data;
	size_t len;
};

static int write_bytes(int fd, const void *arg, struct error **err)
{
	const struct bytes *b = arg;

	if (write_all(fd, b->data, b->len) < 0)
		return error_set(err, errno, "write");
	return 0;
}

int file_replace_bytes(const char *path, mode_t mode, unsigned flags,
		       const void *data, size_t len, struct error **err)
{
	struct bytes b = { data, len };

	return file_replace(path, mode, flags, write_bytes, &b, err);
}
