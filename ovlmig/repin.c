// SPDX-License-Identifier: MIT
#include "repin.h"
#include "repin_journal.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "../image/copy.h"
#include "beneath.h"

/*
 * One name of the hardlink group being repinned, in the directory it was
 * found in: that fd is held from the check to the rename, so the copy,
 * link and rename cannot be redirected by a swap of the path meanwhile.
 */
struct pin {
	int dirfd;
	const char *name;	/* in dirfd */
	const char *rel;	/* from the overlay root: journal and messages */
	char *tmp;		/* our temporary name beside it */
	struct timespec dir_times[2];
	bool times_saved;
};

void repin_log_skipped(struct error **why)
{
	if (*why)
		fprintf(stderr, "ovlmig: not repinned, the workload changed its path: %s\n",
			(*why)->msg);
	error_free(why);
}

/* REL with its last name replaced by NAME; malloc'd. */
static char *beside(const char *rel, const char *name)
{
	const char *slash = strrchr(rel, '/');
	char *out;

	if (asprintf(&out, "%.*s%s%s", slash ? (int)(slash - rel) : 0, rel,
		     slash ? "/" : "", name) < 0)
		return NULL;
	return out;
}

/* ".ovlmig-repin-PID-N-NAME" (NAME cut so it fits NAME_MAX): unique, so
 * it never stands for a name that is already there. */
static char *temp_name(const char *name)
{
	static atomic_uint seq;
	char *out;

	if (asprintf(&out, REPIN_TMP_PREFIX "%ld-%u-%.200s", (long)getpid(),
		     atomic_fetch_add(&seq, 1), name) < 0)
		return NULL;
	return out;
}

/* The times of P's directory, to put back after our temporary names. */
static void save_dir_times(struct pin *p)
{
	const char *slash = strrchr(p->rel, '/');
	char *dir = slash ? strndup(p->rel, (size_t)(slash - p->rel)) : strdup(".");
	struct stat st;

	p->times_saved = dir && fstat(p->dirfd, &st) == 0;
	if (p->times_saved) {
		p->dir_times[0] = st.st_atim;
		p->dir_times[1] = st.st_mtim;
		journal_dir_times(dir, &st);
	}
	free(dir);
}

static void restore_dir_times(const struct pin *p)
{
	/* best effort: a directory the workload changes meanwhile is its own */
	if (p->times_saved)
		futimens(p->dirfd, p->dir_times);
}

/* Journal, then make P's temporary name. */
static int name_temp(struct pin *p, struct error **err)
{
	char *rel;

	p->tmp = temp_name(p->name);
	rel = p->tmp ? beside(p->rel, p->tmp) : NULL;
	if (!rel)
		return error_set(err, ENOMEM, "repin /%s", p->rel);
	journal_temp(rel);
	free(rel);
	return 0;
}

/*
 * Put the copy (P's temporary name) in place of P's name atomically
 * (RENAME_EXCHANGE), then check that what was swapped out is the file we
 * copied (inode INO). If someone replaced the name meanwhile, swap back:
 * their file wins. Returns whether the copy is now in place.
 */
static bool swap_in(const struct pin *p, ino_t ino)
{
	struct stat old;
	bool ok;

	if (renameat2(p->dirfd, p->tmp, p->dirfd, p->name, RENAME_EXCHANGE) < 0) {
		unlinkat(p->dirfd, p->tmp, 0);
		return false;
	}
	ok = fstatat(p->dirfd, p->tmp, &old, AT_SYMLINK_NOFOLLOW) == 0 && old.st_ino == ino;
	if (!ok && renameat2(p->dirfd, p->tmp, p->dirfd, p->name, RENAME_EXCHANGE) < 0) {
		/* their file stays under our name rather than be deleted */
		fprintf(stderr, "ovlmig: repin /%s: swap back: %s\n", p->rel, strerror(errno));
		return false;
	}
	unlinkat(p->dirfd, p->tmp, 0);	/* the image's old file, or our copy */
	return ok;
}

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

/* Copy the open file SRC (stat ST) to P's temporary name. */
static int copy_to_temp(struct pin *p, int src, const struct stat *st,
			struct error **err)
{
	int dst;

	if (name_temp(p, err) < 0)
		return -1;
	/* O_EXCL never follows a symlink, and the name is new */
	dst = openat(p->dirfd, p->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		     O_CLOEXEC, 0600);
	if (dst < 0)
		return error_set(err, errno, "create %s beside /%s", p->tmp, p->rel);
	if (copy_sparse(src, dst, (uint64_t)st->st_size, NULL, err) < 0 ||
	    copy_meta(src, dst, st, p->rel, err) < 0) {
		close(dst);
		unlinkat(p->dirfd, p->tmp, 0);
		return error_wrap(err, "copy /%s", p->rel);
	}
	/* closed before it takes the name: an exec of a file still open for
	 * writing fails with ETXTBSY */
	close(dst);
	return 0;
}

/*
 * Repin the group P[0..N): copy P[0] (if it still is the image's file,
 * inode INO), link the copy beside every other name, swap each in, P[0]
 * last. Returns 0, 1 if P[0] is no longer the image's file, -1.
 */
static int repin_group(struct pin *p, size_t n, ino_t ino, struct error **err)
{
	struct stat st;
	int src, ret = -1;
	size_t i;

	src = beneath_open_regular(p[0].dirfd, p[0].name, O_RDONLY | O_NOCTTY, &st);
	if (src < 0 && (errno == ENOENT || beneath_changed(errno)))
		return 1;	/* gone, or replaced by something else */
	if (src < 0)
		return error_set(err, errno, "open /%s", p[0].rel);
	if (st.st_ino != ino) {
		close(src);
		return 1;	/* replaced meanwhile: the workload's file */
	}
	for (i = 0; i < n; i++)
		save_dir_times(&p[i]);
	if (copy_to_temp(&p[0], src, &st, err) < 0)
		goto out;
	/* the other names first: P[0] moves last, once all is in place */
	for (i = 1; i < n; i++) {
		if (name_temp(&p[i], err) < 0)
			goto drop_copy;
		if (linkat(p[0].dirfd, p[0].tmp, p[i].dirfd, p[i].tmp, 0) < 0) {
			error_set(err, errno, "link %s beside /%s", p[i].tmp, p[i].rel);
			goto drop_copy;
		}
		swap_in(&p[i], st.st_ino);
	}
	/* if P[0] was replaced meanwhile, the replacement stays: not an error */
	swap_in(&p[0], st.st_ino);
	ret = 0;
	goto out;
drop_copy:
	unlinkat(p[0].dirfd, p[0].tmp, 0);
out:
	/* deepest names last would matter only for nested dirs: all restored */
	for (i = n; i-- > 0;)
		restore_dir_times(&p[i]);
	close(src);
	return ret;
}

/* The metadata layer's entry for REL, reached beneath it (an image
 * symlink there is not followed either). */
static int meta_stat(const struct image_tree *t, const char *rel, struct stat *m)
{
	int fd = beneath_open(t->metafd, rel, O_PATH, 0), rc, e;

	if (fd < 0)
		return -1;
	rc = fstat(fd, m);
	e = errno;
	close(fd);
	errno = e;
	return rc;
}

bool image_file_in(const struct image_tree *t, int dirfd, const char *name,
		   const char *rel)
{
	struct stat o, m;
	int fd = beneath_open(dirfd, name, O_PATH, 0);
	bool yes;

	if (fd < 0)
		return false;
	yes = fstat(fd, &o) == 0 && S_ISREG(o.st_mode) &&
	      meta_stat(t, rel, &m) == 0 && o.st_ino == m.st_ino;
	close(fd);
	return yes;
}

/*
 * REL's directory in the overlay, or -1: with *ERR set on an error, *WHY
 * (if WHY) when the workload changed the path to it, neither when REL
 * names nothing there.
 */
static int open_parent(const struct image_tree *t, const char *rel,
		       const char **name, struct error **why, struct error **err)
{
	int dirfd = beneath_parent(t->rootfd, rel, name);

	if (dirfd >= 0 || errno == ENOENT || errno == EINVAL)
		return dirfd;
	if (!beneath_changed(errno))
		error_set(err, errno, "/%s: open its directory in the overlay", rel);
	else if (why)
		error_set(why, errno, "/%s: open its directory in the overlay", rel);
	return -1;
}

bool image_file_at(const struct image_tree *t, const char *rel,
		   struct error **why)
{
	struct error *err = NULL;
	const char *name;
	int dirfd = open_parent(t, rel, &name, why, &err);
	bool yes;

	if (dirfd < 0) {
		error_free(&err);	/* no file to be found there either */
		return false;
	}
	yes = image_file_in(t, dirfd, name, rel);
	close(dirfd);
	return yes;
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

/* The other names of REL's hardlink group (inode M), from the metadata
 * layer: ovlmig's own tree, which never changes. */
static int find_others(const struct image_tree *t, const char *rel,
		       const struct stat *m, struct same_inode *c,
		       struct error **err)
{
	int rc;

	*c = (struct same_inode){ .ino = m->st_ino, .prefix = strlen(t->meta) + 1,
				  .skip = rel };
	if (m->st_nlink <= 1)
		return 0;
	pthread_mutex_lock(&find_lock);
	find_ctx = c;
	rc = nftw(t->meta, collect_same, 32, FTW_PHYS | FTW_MOUNT);
	pthread_mutex_unlock(&find_lock);
	if (rc < 0)
		return error_set(err, errno ? errno : ENOMEM, "hardlinks of /%s", rel);
	return 0;
}

int repin_image_file_in(const struct image_tree *t, int dirfd,
			const char *name, const char *rel, struct error **err)
{
	struct same_inode c = { 0 };
	struct pin *pins = NULL;
	size_t n = 0, i;
	struct stat m;
	int ret = -1;

	if (!image_file_in(t, dirfd, name, rel))
		return 1;	/* repinned already, or the workload's own file */
	if (meta_stat(t, rel, &m) < 0)
		return error_set(err, errno, "metadata of /%s", rel);
	if (find_others(t, rel, &m, &c, err) < 0)
		goto out;
	pins = calloc(c.n + 1, sizeof(*pins));
	if (!pins) {
		error_set(err, ENOMEM, "repin /%s", rel);
		goto out;
	}
	pins[n++] = (struct pin){ .dirfd = dup(dirfd), .name = name, .rel = rel };
	if (pins[0].dirfd < 0) {
		error_set(err, errno, "repin /%s", rel);
		goto out;
	}
	for (i = 0; i < c.n; i++) {
		struct error *why = NULL;
		const char *other;
		int fd = open_parent(t, c.names[i], &other, &why, err);

		repin_log_skipped(&why);
		if (fd < 0 && *err)
			goto out;
		if (fd < 0)
			continue;
		if (!image_file_in(t, fd, other, c.names[i])) {
			close(fd);	/* no longer the same file */
			continue;
		}
		pins[n++] = (struct pin){ .dirfd = fd, .name = other, .rel = c.names[i] };
	}
	ret = repin_group(pins, n, m.st_ino, err);
out:
	for (i = 0; i < n; i++) {
		if (pins[i].dirfd >= 0)
			close(pins[i].dirfd);
		free(pins[i].tmp);
	}
	free(pins);
	for (i = 0; i < c.n; i++)
		free(c.names[i]);
	free(c.names);
	return ret;
}

int repin_image_file(const struct image_tree *t, const char *rel,
		     struct error **err)
{
	struct error *why = NULL;
	const char *name;
	int rc, dirfd = open_parent(t, rel, &name, &why, err);

	repin_log_skipped(&why);
	if (dirfd < 0)
		return *err ? -1 : 1;
	rc = repin_image_file_in(t, dirfd, name, rel, err);
	close(dirfd);
	return rc;
}
