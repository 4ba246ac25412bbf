// SPDX-License-Identifier: MIT
#include "repin.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "../lowerfs/copy.h"

#define TMP_PREFIX ".ovlmig-repin-"

static int repin_files(int rootfd, const char *rel, const char *const *others,
		       size_t nothers, struct error **err);

/* Owner, then mode (chown clears setuid), then xattrs (chown clears
 * security.capability), times last. */
static int copy_meta(int src, int dst, const struct stat *st, const char *rel,
		     struct error **err)
{
	struct timespec ts[2] = { st->st_atim, st->st_mtim };
	char *names = NULL, *p, *val = NULL;
	ssize_t len;
	int ret = -1;

	if (fchown(dst, st->st_uid, st->st_gid) < 0 ||
	    fchmod(dst, st->st_mode & 07777) < 0)
		return error_set(err, errno, "owner and mode of /%s", rel);
	len = flistxattr(src, NULL, 0);
	if (len > 0 && (names = malloc((size_t)len)) &&
	    (len = flistxattr(src, names, (size_t)len)) > 0) {
		for (p = names; p < names + len; p += strlen(p) + 1) {
			ssize_t vlen = fgetxattr(src, p, NULL, 0);

			free(val);
			val = vlen >= 0 ? malloc((size_t)vlen + 1) : NULL;
			if (!val || (vlen = fgetxattr(src, p, val, (size_t)vlen)) < 0 ||
			    fsetxattr(dst, p, val, (size_t)vlen, 0) < 0) {
				error_set(err, errno ? errno : ENOMEM,
					  "xattr %s of /%s", p, rel);
				goto out;
			}
		}
	} else if (len < 0) {
		error_set(err, errno, "list xattrs of /%s", rel);
		goto out;
	}
	if (futimens(dst, ts) < 0) {
		error_set(err, errno, "times of /%s", rel);
		goto out;
	}
	ret = 0;
out:
	free(val);
	free(names);
	return ret;
}

/* "dir/.ovlmig-repin-name" beside REL; malloc'd. */
static char *temp_name(const char *rel, unsigned n)
{
	char *copy = strdup(rel), *dir, *base, *out = NULL;

	if (!copy)
		return NULL;
	base = strrchr(copy, '/');
	if (base) {
		*base++ = '\0';
		dir = copy;
	} else {
		base = copy;
		dir = NULL;
	}
	if (asprintf(&out, "%s%s" TMP_PREFIX "%u-%.200s", dir ? dir : "",
		     dir ? "/" : "", n, base) < 0)
		out = NULL;
	free(copy);
	return out;
}

/* The times of REL's directory, to put back after our temp files. */
struct dir_times {
	char *dir;
	struct timespec ts[2];
	bool ok;
};

static void save_dir_times(int rootfd, const char *rel, struct dir_times *t)
{
	const char *slash = strrchr(rel, '/');
	struct stat st;

	t->dir = slash ? strndup(rel, (size_t)(slash - rel)) : strdup(".");
	t->ok = t->dir && fstatat(rootfd, t->dir, &st, 0) == 0;
	if (t->ok) {
		t->ts[0] = st.st_atim;
		t->ts[1] = st.st_mtim;
	}
}

static void restore_dir_times(int rootfd, struct dir_times *t)
{
	/* best effort: a directory the workload changes meanwhile is its own */
	if (t->ok && utimensat(rootfd, t->dir, t->ts, 0) < 0)
		t->ok = false;
	free(t->dir);
	t->dir = NULL;
}

int repin(int rootfd, const char *rel, const char *const *others,
	  size_t nothers, struct error **err)
{
	struct dir_times *times = calloc(nothers + 1, sizeof(*times));
	size_t k;
	int ret;

	if (!times)
		return error_set(err, ENOMEM, "repin /%s", rel);
	save_dir_times(rootfd, rel, &times[0]);
	for (k = 0; k < nothers; k++)
		save_dir_times(rootfd, others[k], &times[k + 1]);
	ret = repin_files(rootfd, rel, others, nothers, err);
	/* deepest names last would matter only for nested dirs: all restored */
	for (k = nothers + 1; k-- > 0;)
		restore_dir_times(rootfd, &times[k]);
	free(times);
	return ret;
}

static int repin_files(int rootfd, const char *rel, const char *const *others,
		       size_t nothers, struct error **err)
{
	char *tmp = temp_name(rel, 0);
	struct stat st;
	int src = -1, dst = -1, ret = -1;
	size_t i;

	if (!tmp)
		return error_set(err, ENOMEM, "repin /%s", rel);
	src = openat(rootfd, rel, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (src < 0 || fstat(src, &st) < 0) {
		error_set(err, errno, "open /%s", rel);
		goto out;
	}
	unlinkat(rootfd, tmp, 0);	/* left over by an interrupted run */
	dst = openat(rootfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (dst < 0) {
		error_set(err, errno, "create /%s", tmp);
		goto out;
	}
	if (copy_sparse(src, dst, (uint64_t)st.st_size, NULL, err) < 0 ||
	    copy_meta(src, dst, &st, rel, err) < 0) {
		error_wrap(err, "copy /%s", rel);
		goto fail;
	}
	/* the other names first: REL moves last, once all is in place */
	for (i = 0; i < nothers; i++) {
		char *t = temp_name(others[i], (unsigned)i + 1);

		if (!t) {
			error_set(err, ENOMEM, "repin /%s", others[i]);
			goto fail;
		}
		unlinkat(rootfd, t, 0);
		if (linkat(rootfd, tmp, rootfd, t, 0) < 0 ||
		    renameat(rootfd, t, rootfd, others[i]) < 0) {
			error_set(err, errno, "move hardlink /%s", others[i]);
			unlinkat(rootfd, t, 0);
			free(t);
			goto fail;
		}
		free(t);
	}
	if (renameat(rootfd, tmp, rootfd, rel) < 0) {
		error_set(err, errno, "rename over /%s", rel);
		goto fail;
	}
	ret = 0;
	goto out;
fail:
	unlinkat(rootfd, tmp, 0);
out:
	if (src >= 0)
		close(src);
	if (dst >= 0)
		close(dst);
	free(tmp);
	return ret;
}
