// SPDX-License-Identifier: MIT
/*
 * Feeding the image store of strategy store (ovlmig/store.h): a file
 * fetched whole into the cache and verified is linked (copied across
 * filesystems) into DIR/data at the path the metadata layer redirects
 * to, through DIR/tmp and a rename. ovlmig's fill then skips it, and the
 * overlay takes it from the store from its next lookup on. A file the
 * store has already is served from there, never fetched again.
 * DIR comes with --store-image, or the store-image control command once
 * ovlmig knows which image directory the mount uses.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/private_dir.h"
#include "../image/store_data.h"
#include "lowerfs.h"

struct store_feed {
	char *dir;
	int dirfd;			/* DIR */
	int datafd;			/* DIR/data */
	struct data_paths paths;
};

static void feed_free(struct store_feed *f)
{
	if (!f)
		return;
	if (f->dirfd >= 0)
		close(f->dirfd);
	if (f->datafd >= 0)
		close(f->datafd);
	data_paths_free(&f->paths);
	free(f->dir);
	free(f);
}

static struct store_feed *feed_new(struct lowerfs *fs, const char *dir,
				   struct error **err)
{
	struct store_feed *f = calloc(1, sizeof(*f));

	if (!f || !(f->dir = strdup(dir))) {
		free(f);
		error_set(err, ENOMEM, "store %s", dir);
		return NULL;
	}
	f->datafd = -1;
	f->dirfd = -1;
	/* what is planted there is served as image data, as from the cache */
	if (dir_check_private("image store", dir, err) < 0)
		goto fail;
	f->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (f->dirfd >= 0)
		f->datafd = openat(f->dirfd, "data", O_RDONLY | O_DIRECTORY |
				   O_NOFOLLOW | O_CLOEXEC);
	if (f->dirfd < 0 || f->datafd < 0) {
		error_set(err, errno, "open %s%s", dir, f->dirfd < 0 ? "" : "/data");
		goto fail;
	}
	if (data_paths_build(&fs->img, &f->paths, err) < 0)
		goto fail;
	return f;
fail:
	feed_free(f);
	return NULL;
}

int store_feed_start(struct lowerfs *fs, const char *dir, struct error **err)
{
	struct store_feed *f, *none = NULL, *was = atomic_load(&fs->feed);

	if (!fs->cache)
		return error_set(err, EINVAL, "feeding a store needs a cache (--cache DIR)");
	if (!was) {
		f = feed_new(fs, dir, err);
		if (!f)
			return error_wrap(err, "store-image");
		if (atomic_compare_exchange_strong(&fs->feed, &none, f)) {
			lowerfs_log("feeding the image store %s", dir);
			return 0;
		}
		feed_free(f);	/* another request was first */
		was = none;
	}
	if (strcmp(was->dir, dir))
		return error_set(err, EBUSY, "store-image %s: already feeding %s",
				 dir, was->dir);
	return 0;
}

void store_feed_stop(struct lowerfs *fs)
{
	feed_free(atomic_exchange(&fs->feed, NULL));
}

/* DIR/tmp, made again if a fill removed it meanwhile. */
static int open_tmp(struct store_feed *f, struct error **err)
{
	int fd = openat(f->dirfd, "tmp", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0 && errno == ENOENT && mkdirat(f->dirfd, "tmp", 0700) < 0 &&
	    errno != EEXIST)
		return error_set(err, errno, "create %s/tmp", f->dir);
	if (fd < 0)
		fd = openat(f->dirfd, "tmp", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return error_set(err, errno, "open %s/tmp", f->dir);
	return fd;
}

void store_feed_file(struct lowerfs *fs, uint32_t node, int fd)
{
	struct store_feed *f = atomic_load(&fs->feed);
	uint64_t size = fs->img.nodes[node].size;
	struct error *err = NULL;
	char tmp[64];
	int tmpfd;

	if (!f || !f->paths.path[node] || data_present(f->datafd, f->paths.path[node], size))
		return;
	/* its own names: a fill, or a lowerfs of another container, may be at work */
	snprintf(tmp, sizeof(tmp), "feed-%ld-%08x", (long)getpid(), node);
	tmpfd = open_tmp(f, &err);
	if (tmpfd < 0 ||
	    data_place(f->datafd, tmpfd, tmp, f->paths.path[node], fd, size, &err) < 0) {
		lowerfs_log("feed /%s into the image store: %s", f->paths.path[node],
			    err->msg);
		error_free(&err);
	} else {
		atomic_fetch_add(&fs->stats.store_fed_files, 1);
		atomic_fetch_add(&fs->stats.store_fed_bytes, size);
	}
	if (tmpfd >= 0)
		close(tmpfd);
}

int store_feed_lookup(struct lowerfs *fs, uint32_t node)
{
	struct store_feed *f = atomic_load(&fs->feed);

	if (!f || !f->paths.path[node])
		return -1;
	/* whole: the store only ever renames complete files in */
	return data_open(f->datafd, f->paths.path[node], fs->img.nodes[node].size);
}
