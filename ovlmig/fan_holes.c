// SPDX-License-Identifier: MIT
#include "fan_holes.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fan_group.h"
#include "fan_tag.h"

/*
 * DIRFD/NAME (data/REL, a file of its own) replaced by the whole
 * placeholder FD: linked as TMPFD/fan-PID-INO, then renamed over it, so
 * data/REL is whole at every moment and its old inode's blocks go once
 * nothing holds it open. A name a killed worker left in tmp/ is removed
 * by the next fill (store_fill.c clean_tmp).
 */
static int share(int fd, const struct stat *st, int tmpfd, int dirfd,
		 const char *name, const char *rel, struct error **err)
{
	char tmp[64];

	snprintf(tmp, sizeof(tmp), "fan-%ld-%llx", (long)getpid(),
		 (unsigned long long)st->st_ino);
	if (unlinkat(tmpfd, tmp, 0) < 0 && errno != ENOENT)
		return error_set(err, errno, "remove tmp/%s", tmp);
	if (linkat(fd, "", tmpfd, tmp, AT_EMPTY_PATH) < 0)
		return error_set(err, errno, "link the placeholder of %s as tmp/%s", rel, tmp);
	if (renameat(tmpfd, tmp, dirfd, name) < 0) {
		error_set(err, errno, "rename tmp/%s over data/%s", tmp, rel);
		unlinkat(tmpfd, tmp, 0);
		return -1;
	}
	return 0;
}

int fan_holes_link(int fd, int datafd, int tmpfd, const char *rel,
		   struct error **err)
{
	const char *name;
	struct stat st, in;
	int dirfd = data_open_parent(datafd, rel, &name, err);
	int ret = 0;

	if (dirfd < 0)
		return -1;
	if (fstat(fd, &st) < 0) {
		ret = error_set(err, errno, "placeholder of data/%s", rel);
		goto out;
	}
	for (int tries = 0; tries < 2; tries++) {
		if (linkat(fd, "", dirfd, name, AT_EMPTY_PATH) == 0)
			goto out;
		if (errno != EEXIST) {
			ret = error_set(err, errno, "link into data/%s", rel);
			goto out;
		}
		/* linked before (this filler, another), or a file of its own */
		if (fstatat(dirfd, name, &in, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno == ENOENT)
				continue;	/* removed meanwhile: link again */
			ret = error_set(err, errno, "data/%s", rel);
			goto out;
		}
		if (in.st_dev == st.st_dev && in.st_ino == st.st_ino)
			goto out;
		/* one copy of the bytes: data/ takes the placeholder's inode */
		ret = share(fd, &st, tmpfd, dirfd, name, rel, err) < 0 ? 1 : 0;
		goto out;
	}
	ret = error_set(err, EEXIST, "link into data/%s", rel);
out:
	close(dirfd);
	return ret;
}

/* REL's placeholder opened for writing, made if missing; *ST. */
static int hole_open(int holesfd, const char *rel, struct stat *st,
		     struct error **err)
{
	const char *name;
	int dirfd = data_open_parent(holesfd, rel, &name, err), fd;

	if (dirfd < 0)
		return -1;
	fd = openat(dirfd, name, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	close(dirfd);
	if (fd < 0)
		return error_set(err, errno, "placeholder holes/%s", rel);
	if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode)) {
		error_set(err, S_ISREG(st->st_mode) ? errno : EINVAL,
			  "placeholder holes/%s: not a regular file", rel);
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * FD a placeholder of the store M->key's: tagged, and marked for G unless
 * the filesystem mark covers it; an ignore mark the keeper put on the
 * file before it was one goes.
 */
static int watch(int g, const struct fan_marks *m, int fd, struct error **err)
{
	int r = fan_tag_set(fd, m->key, err);

	if (r < 0)
		return -1;
	if (!m->fs)
		return fan_mark_file(g, fd, err);
	return r == 1 ? fan_unignore_file(g, fd, err) : 0;
}

/*
 * data/REL whole: a placeholder of it a filler left whole (killed between
 * its link and its rename, or an ovlmig that kept both copies) replaces
 * data/'s copy, so the bytes are on disk once.
 */
static int one_copy(int datafd, int holesfd, int tmpfd, const char *rel,
		    uint64_t size, struct error **err)
{
	int fd = data_open(holesfd, rel, size), ret;

	if (fd < 0)
		return 0;	/* none, or not whole: shadowed by data/ */
	ret = fan_tag_clear(fd, err) < 0 ? -1 : fan_holes_link(fd, datafd, tmpfd, rel, err);
	close(fd);
	if (ret < 0)
		return error_wrap(err, "holes/%s", rel);
	if (ret == 1)
		error_report(err, "ovlmig fanfill: data/ keeps a copy of its own", stderr);
	return 0;
}

/* REL's placeholder, unless data/ has it: 1 watched, 0 nothing to fill. */
static int lay_one(int g, const struct fan_marks *m, int datafd, int holesfd,
		   int tmpfd, const char *rel, uint64_t size, struct stat *st, struct error **err)
{
	int fd, ret = 0;

	if (data_present(datafd, rel, size))
		return one_copy(datafd, holesfd, tmpfd, rel, size, err);
	fd = hole_open(holesfd, rel, st, err);
	if (fd < 0)
		return -1;
	if ((uint64_t)st->st_size == size) {
		/* a killed filler's whole fill, not linked yet (or size 0) */
		if (fan_tag_clear(fd, err) < 0 ||
		    (ret = fan_holes_link(fd, datafd, tmpfd, rel, err)) < 0) {
			ret = error_wrap(err, "holes/%s", rel);
		} else if (ret == 1) {
			error_report(err, "ovlmig fanfill: data/ keeps a copy of its own", stderr);
			ret = 0;
		}
	} else {
		/*
		 * a killed fill's part: empty again, never a prefix; unless
		 * another filler of the store fills it now (fan_fill's lock)
		 */
		if (st->st_size && flock(fd, LOCK_EX | LOCK_NB) == 0 && ftruncate(fd, 0) < 0)
			ret = error_set(err, errno, "empty placeholder holes/%s", rel);
		else if (watch(g, m, fd, err) < 0)
			ret = error_wrap(err, "holes/%s", rel);
		else
			ret = 1;
	}
	close(fd);
	return ret;
}

static int by_ino(const void *a, const void *b)
{
	ino_t x = ((const struct fan_hole *)a)->ino, y = ((const struct fan_hole *)b)->ino;

	return x < y ? -1 : x > y;
}

int fan_holes_lay(int g, const struct fan_marks *m, int datafd, int holesfd,
		  int tmpfd, const struct image *img, const struct data_paths *dp, struct fan_holes *out,
		  struct error **err)
{
	struct stat st;
	uint32_t node;
	int r;

	out->n = 0;
	out->hole = calloc(dp->count ? dp->count : 1, sizeof(*out->hole));
	if (!out->hole)
		return error_set(err, ENOMEM, "placeholders");
	if (fstat(holesfd, &st) < 0)
		return error_set(err, errno, "holes/");
	out->dev = st.st_dev;
	for (node = 0; node < dp->count; node++) {
		if (!dp->path[node])
			continue;
		r = lay_one(g, m, datafd, holesfd, tmpfd, dp->path[node], img->nodes[node].size,
			    &st, err);
		if (r < 0)
			return -1;
		if (r == 0)
			continue;
		out->hole[out->n].ino = st.st_ino;
		out->hole[out->n++].node = node;
	}
	qsort(out->hole, out->n, sizeof(*out->hole), by_ino);
	return 0;
}

struct fan_hole *fan_holes_find(struct fan_holes *t, dev_t dev, ino_t ino)
{
	struct fan_hole key = { .ino = ino };

	if (dev != t->dev)
		return NULL;
	return bsearch(&key, t->hole, t->n, sizeof(key), by_ino);
}

void fan_holes_free(struct fan_holes *t)
{
	free(t->hole);
	t->hole = NULL;
	t->n = 0;
}
