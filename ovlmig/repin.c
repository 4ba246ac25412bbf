// SPDX-License-Identifier: MIT
#include "repin.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <ftw.h>
#include <stdbool.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "../lowerfs/copy.h"

#define TMP_PREFIX ".ovlmig-repin-"

/*
 * Temporary names are written to a journal before they are created, so
 * the next migrate or detach removes what a killed one left in the tree.
 */
static char *journal_path;
static pthread_mutex_t journal_lock = PTHREAD_MUTEX_INITIALIZER;

/* "T NAME": a temporary name; "D SEC NSEC SEC NSEC DIR": a directory's
 * times before our temporary names touched it. */
static void journal_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void journal_line(const char *fmt, ...)
{
	va_list ap;
	FILE *f;

	if (!journal_path)
		return;
	pthread_mutex_lock(&journal_lock);
	f = fopen(journal_path, "ae");
	if (f) {
		va_start(ap, fmt);
		vfprintf(f, fmt, ap);
		va_end(ap);
		fclose(f);
	}
	pthread_mutex_unlock(&journal_lock);
}

static void journal_add(const char *rel)
{
	journal_line("T %s\n", rel);
}

static bool safe_rel(const char *p)
{
	return *p && p[0] != '/' && !strstr(p, "..");
}

void repin_journal_done(void)
{
	/* all repins finished and put their directories' times back */
	if (journal_path && truncate(journal_path, 0) < 0 && errno != ENOENT)
		fprintf(stderr, "ovlmig: truncate %s: %s\n", journal_path, strerror(errno));
}

int repin_journal(int rootfd, const char *state_dir, struct error **err)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	FILE *f;

	free(journal_path);
	journal_path = NULL;
	if (asprintf(&journal_path, "%s/repin.journal", state_dir) < 0) {
		journal_path = NULL;
		return error_set(err, ENOMEM, "repin journal");
	}
	f = fopen(journal_path, "re");
	for (int pass = 0; f && pass < 2; pass++) {
		/* pass 0 removes temporary names, pass 1 puts times back */
		rewind(f);
		while ((n = getline(&line, &cap, f)) > 0) {
			struct timespec ts[2];
			long long as, ms;
			long an, mn;
			int off = 0;

			if (line[n - 1] == '\n')
				line[n - 1] = '\0';
			if (pass == 0 && !strncmp(line, "T ", 2)) {
				const char *rel = line + 2, *base = strrchr(rel, '/');

				base = base ? base + 1 : rel;
				/* only names of ours, whatever the journal says */
				if (!strncmp(base, TMP_PREFIX, strlen(TMP_PREFIX)) && safe_rel(rel))
					unlinkat(rootfd, rel, 0);
			} else if (pass == 1 && sscanf(line, "D %lld %ld %lld %ld %n",
						      &as, &an, &ms, &mn, &off) == 4 &&
				   off > 0 && (safe_rel(line + off) || !strcmp(line + off, "."))) {
				ts[0] = (struct timespec){ (time_t)as, an };
				ts[1] = (struct timespec){ (time_t)ms, mn };
				utimensat(rootfd, line + off, ts, 0);
			}
		}
	}
	free(line);
	if (f)
		fclose(f);
	if (truncate(journal_path, 0) < 0 && errno != ENOENT)
		return error_set(err, errno, "truncate %s", journal_path);
	return 0;
}

/*
 * Put the copy TMP in place of NAME atomically (RENAME_EXCHANGE), then
 * check that what was swapped out is the file we copied (inode INO). If
 * someone replaced NAME meanwhile, swap back: their file wins. Either way
 * TMP is removed. Returns whether the copy is now in place.
 */
static bool swap_in(int rootfd, const char *tmp, const char *name, ino_t ino)
{
	struct stat old;
	bool ok;

	if (renameat2(rootfd, tmp, rootfd, name, RENAME_EXCHANGE) < 0) {
		unlinkat(rootfd, tmp, 0);
		return false;
	}
	ok = fstatat(rootfd, tmp, &old, AT_SYMLINK_NOFOLLOW) == 0 && old.st_ino == ino;
	if (!ok)
		renameat2(rootfd, tmp, rootfd, name, RENAME_EXCHANGE);
	unlinkat(rootfd, tmp, 0);
	return ok;
}

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
		journal_line("D %lld %ld %lld %ld %s\n", (long long)st.st_atim.tv_sec,
			     st.st_atim.tv_nsec, (long long)st.st_mtim.tv_sec,
			     st.st_mtim.tv_nsec, t->dir);
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
	journal_add(tmp);
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
	/* closed before it takes the name: an exec of a file still open for
	 * writing fails with ETXTBSY */
	close(dst);
	dst = -1;
	/* the other names first: REL moves last, once all is in place */
	for (i = 0; i < nothers; i++) {
		char *t = temp_name(others[i], (unsigned)i + 1);

		if (!t) {
			error_set(err, ENOMEM, "repin /%s", others[i]);
			goto fail;
		}
		unlinkat(rootfd, t, 0);
		journal_add(t);
		if (linkat(rootfd, tmp, rootfd, t, 0) < 0) {
			error_set(err, errno, "link /%s", t);
			free(t);
			goto fail;
		}
		swap_in(rootfd, t, others[i], st.st_ino);
		free(t);
	}
	/* if REL was replaced meanwhile, the replacement stays: not an error */
	swap_in(rootfd, tmp, rel, st.st_ino);
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

/*
 * Does REL in the overlay still lead to the image's file? A file keeps
 * the inode number of its metadata-layer entry (the origin), so a repinned
 * or replaced file no longer matches.
 */
bool image_file_at(const struct image_tree *t, const char *rel)
{
	struct stat o, m;

	return fstatat(t->rootfd, rel, &o, AT_SYMLINK_NOFOLLOW) == 0 &&
	       fstatat(t->metafd, rel, &m, AT_SYMLINK_NOFOLLOW) == 0 &&
	       S_ISREG(o.st_mode) && o.st_ino == m.st_ino;
}

struct same_inode {
	ino_t ino;
	size_t prefix;		/* length of the metadata layer's path + 1 */
	const char *skip;
	char **names;
	size_t n;
};

/* nftw passes no user pointer: one search at a time (migrate's workers) */
static struct same_inode *find_ctx;
static pthread_mutex_t find_lock = PTHREAD_MUTEX_INITIALIZER;

static int collect_same(const char *path, const struct stat *st, int flag,
			struct FTW *ftw)
{
	struct same_inode *c = find_ctx;
	char **names;

	(void)flag;
	(void)ftw;
	if (!S_ISREG(st->st_mode) || st->st_ino != c->ino ||
	    strlen(path) <= c->prefix || !strcmp(path + c->prefix, c->skip))
		return 0;
	names = reallocarray(c->names, c->n + 1, sizeof(*names));
	if (!names)
		return -1;
	c->names = names;
	c->names[c->n] = strdup(path + c->prefix);
	return c->names[c->n++] ? 0 : -1;
}

/* Repin REL with the other names of its hardlink group that still lead
 * to it; the group is read from the metadata layer, which never changes. */
int repin_image_file(const struct image_tree *t, const char *rel,
		     struct error **err)
{
	struct same_inode c = { .prefix = strlen(t->meta) + 1, .skip = rel };
	const char **others = NULL;
	size_t n = 0, i;
	struct stat m;
	int ret = -1;

	if (!image_file_at(t, rel))
		return 0;	/* repinned already, or the workload's own file */
	if (fstatat(t->metafd, rel, &m, AT_SYMLINK_NOFOLLOW) < 0)
		return error_set(err, errno, "metadata of /%s", rel);
	if (m.st_nlink > 1) {
		int rc;

		c.ino = m.st_ino;
		pthread_mutex_lock(&find_lock);
		find_ctx = &c;
		rc = nftw(t->meta, collect_same, 32, FTW_PHYS | FTW_MOUNT);
		pthread_mutex_unlock(&find_lock);
		if (rc < 0) {
			error_set(err, errno ? errno : ENOMEM, "hardlinks of /%s", rel);
			goto out;
		}
	}
	others = calloc(c.n + 1, sizeof(*others));
	if (!others) {
		error_set(err, ENOMEM, "repin /%s", rel);
		goto out;
	}
	for (i = 0; i < c.n; i++)
		if (image_file_at(t, c.names[i]))
			others[n++] = c.names[i];
	ret = repin(t->rootfd, rel, others, n, err);
out:
	for (i = 0; i < c.n; i++)
		free(c.names[i]);
	free(c.names);
	free(others);
	return ret;
}

