// SPDX-License-Identifier: MIT
#include "cache_dir.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/fsutil.h"
#include "../common/util.h"

#define MADE "made\n"
#define ADOPTED "adopted\n"

static int write_marker(int dfd, const char *path, const char *kind,
			struct error **err)
{
	int fd = openat(dfd, CACHE_MARKER,
			O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);

	if (fd < 0)
		return error_set(err, errno, "cache directory %s: create %s", path, CACHE_MARKER);
	if (write_all(fd, kind, strlen(kind)) < 0) {
		error_set(err, errno, "cache directory %s: write %s", path, CACHE_MARKER);
		close(fd);
		return -1;
	}
	if (close(fd) < 0)
		return error_set(err, errno, "cache directory %s: write %s", path, CACHE_MARKER);
	return 0;
}

/* The marker of the directory DFD: 1 (*made set), 0 none, -1 error. */
static int read_marker(int dfd, const char *path, bool *made, struct error **err)
{
	char buf[16] = "";
	int fd = openat(dfd, CACHE_MARKER, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return errno == ENOENT ? 0 :
		       error_set(err, errno, "cache directory %s: read %s", path, CACHE_MARKER);
	n = read_full(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return error_set(err, errno, "cache directory %s: read %s", path, CACHE_MARKER);
	if (strcmp(buf, MADE) && strcmp(buf, ADOPTED))
		return error_set(err, EINVAL, "cache directory %s: %s is not ovlmig's marker",
				 path, CACHE_MARKER);
	*made = !strcmp(buf, MADE);
	return 1;
}

static int open_dir(const char *path)
{
	return open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

int cache_dir_claim(const char *path, enum cache_claim *how, struct error **err)
{
	bool made = false;
	int dfd, r, ret = -1;

	if (path[0] != '/')
		return error_set(err, EINVAL, "cache directory %s: not an absolute path", path);
	if (mkdir(path, 0700) == 0) {
		made = true;
	} else if (errno == ENOENT) {
		/* parents too: root's only, as the cache itself */
		if (make_dirs(path, 0700, err) < 0)
			return error_wrap(err, "cache directory %s", path);
		made = true;
	} else if (errno != EEXIST) {
		return error_set(err, errno, "create cache directory %s", path);
	}
	dfd = open_dir(path);
	if (dfd < 0)
		return error_set(err, errno, "cache directory %s", path);
	if (made) {
		*how = CACHE_MADE;
		ret = write_marker(dfd, path, MADE, err);
		goto out;
	}
	r = read_marker(dfd, path, &made, err);
	if (r < 0)
		goto out;
	if (r) {
		*how = CACHE_REUSED;
		ret = 0;
		goto out;
	}
	r = dir_is_empty(path);
	if (r < 0) {
		error_set(err, errno, "cache directory %s", path);
	} else if (!r) {
		/* detach deletes the cache: never one holding someone's files */
		error_set(err, ENOTEMPTY, "cache directory %s holds files ovlmig did not put there "
			  "(detach deletes its cache; give a new or empty directory)", path);
	} else {
		*how = CACHE_ADOPTED;
		ret = write_marker(dfd, path, ADOPTED, err);
	}
out:
	close(dfd);
	return ret;
}

/* Everything in DFD but the marker, then the marker: the directory stays. */
static int empty_dir(int dfd, const char *path, struct error **err)
{
	char **names = NULL;
	size_t n = 0, i;
	int ret = 0;

	if (dir_names(dfd, path, &names, &n, err) < 0)
		return -1;
	for (i = 0; i < n && ret == 0; i++) {
		char *p;

		if (!strcmp(names[i], CACHE_MARKER))
			continue;
		p = path_join(path, names[i]);
		ret = p ? remove_tree(p, err) : error_set(err, ENOMEM, "empty %s", path);
		free(p);
	}
	dir_names_free(names, n);
	if (ret == 0 && unlinkat(dfd, CACHE_MARKER, 0) < 0 && errno != ENOENT)
		ret = error_set(err, errno, "remove %s/%s", path, CACHE_MARKER);
	return ret;
}

/*
 * A cache ovlmig made, deleted in place: its marker last, so that a
 * deletion cut short (the deleter killed) leaves a directory a later
 * mount knows as ovlmig's (and reuses, or deletes), never one it must
 * refuse; cut between the marker and the rmdir, an empty one (adopted).
 */
static int remove_made(int dfd, const char *path, struct error **err)
{
	if (empty_dir(dfd, path, err) < 0)
		return -1;
	if (rmdir(path) < 0 && errno != ENOENT)
		return error_set(err, errno, "remove %s", path);
	return 0;
}

int cache_dir_release(const char *path, struct error **err)
{
	bool made = false;
	int dfd, r, ret;

	if (path[0] != '/')
		return error_set(err, EINVAL, "cache %s: not an absolute path: left alone", path);
	dfd = open_dir(path);
	if (dfd < 0)
		return errno == ENOENT ? 0 : error_set(err, errno, "cache %s", path);
	r = read_marker(dfd, path, &made, err);
	if (r == 0)
		error_set(err, 0, "cache %s: no %s in it, so not made by ovlmig: left alone",
			  path, CACHE_MARKER);
	if (r <= 0)
		ret = -1;
	else if (flock(dfd, LOCK_EX | LOCK_NB) < 0)
		/* held (until this process ends or closes DFD) while deleting */
		ret = errno == EWOULDBLOCK ? 1 :
		      error_set(err, errno, "cache %s: lock", path);
	else if (made)
		ret = remove_made(dfd, path, err);
	else
		ret = empty_dir(dfd, path, err);
	close(dfd);
	return ret;
}

int cache_dir_marker(int dfd, const char *path, bool *made, struct error **err)
{
	return read_marker(dfd, path, made, err);
}
