// SPDX-License-Identifier: MIT
/*
 * Filling an image's data/ (store.h): every regular file fetched whole
 * into tmp/, then renamed to the path its metadata-layer entry redirects
 * to. A file is in data/ complete or not at all, so the overlay may take
 * it from there the moment it appears, and a killed fill resumes.
 *
 * What the mount's lowerfs fetched whole is not fetched again: lowerfs
 * puts it in data/ itself (--store-image), and what its cache holds from
 * before is linked from there once its sha256 checks. While lowerfs
 * fetches a file a process waits on, the fill waits between files: the
 * link is the waiting process's first.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/fsutil.h"
#include "../common/util.h"
#include "../control/control.h"
#include "../image/cache.h"
#include "../image/store_data.h"
#include "lowerfs_exec.h"
#include "store.h"

struct data_file {
	uint32_t node;
	char *path;		/* what META's redirect names */
};

struct fill {
	const struct image *img;
	struct data_file *files;
	size_t n;
	bool *seen;
	struct cache *cache;	/* lowerfs' cache, read only; NULL: none */
	char *run;		/* lowerfs' run dir; NULL: none to yield to */
	uint64_t polled;	/* when lowerfs last said no one waits */
};

/*
 * The path META redirects a file to is its first name in meta_build's
 * walk: depth first, children in their (sorted) order.
 */
static int collect(struct fill *f, uint32_t dir, const char *rel,
		   struct error **err)
{
	const struct image_node *d = &f->img->nodes[dir];
	uint32_t i;

	for (i = 0; i < d->nchildren; i++) {
		uint32_t node = d->children[i].node;
		const struct image_node *n = &f->img->nodes[node];
		char *path = path_join(rel, d->children[i].name);
		int ret = 0;

		if (!path)
			return error_set(err, ENOMEM, "fill");
		if (S_ISDIR(n->mode)) {
			ret = collect(f, node, path, err);
		} else if (S_ISREG(n->mode) && !f->seen[node]) {
			f->seen[node] = true;
			f->files[f->n].node = node;
			f->files[f->n++].path = path;
			path = NULL;
		}
		free(path);
		if (ret < 0)
			return -1;
	}
	return 0;
}

/* Layer byte order: by layer, then offset in it (reads stream forward). */
static int by_source(const void *a, const void *b, void *arg)
{
	const struct image *img = arg;
	const struct image_node *x = &img->nodes[((const struct data_file *)a)->node];
	const struct image_node *y = &img->nodes[((const struct data_file *)b)->node];
	int c = strcmp(x->src_ref ? x->src_ref : "", y->src_ref ? y->src_ref : "");

	if (c)
		return c;
	return x->src_off < y->src_off ? -1 : x->src_off > y->src_off;
}

/* Between two polls of lowerfs: a waiting process waits no longer than this plus a file. */
#define DEMAND_POLL_NS 10000000ull

/*
 * On-demand reads first: while lowerfs fetches files processes wait on,
 * wait. True if it waited (lowerfs may have put this file in meanwhile).
 */
static bool yield_to_demand(struct fill *f)
{
	struct error *err = NULL;
	bool waited = false;
	unsigned n;

	if (!f->run || now_ns() - f->polled < DEMAND_POLL_NS)
		return false;
	for (;;) {
		if (control_demand(f->run, &n, &err) < 0) {
			/* lowerfs is gone (or stopped feeding): nothing to yield to */
			error_free(&err);
			free(f->run);
			f->run = NULL;
			return waited;
		}
		if (!n)
			break;
		waited = true;
		sleep_ns(2000000);
	}
	f->polled = now_ns();
	return waited;
}

/* NODE from lowerfs' cache into data/, if it is there and checks. 1: done. */
static int link_cached(struct fill *f, int datafd, int tmpfd, const char *tmp,
		       const struct data_file *df, struct error **err)
{
	uint64_t size = f->img->nodes[df->node].size;
	struct error *why = NULL;
	int fd, ret;

	fd = f->cache ? cache_lookup(f->cache, df->node, size, true, &why) : -1;
	error_free(&why);	/* refused: fetched below like an absent one */
	if (fd < 0)
		return 0;
	ret = data_place(datafd, tmpfd, tmp, df->path, fd, size, err);
	close(fd);
	return ret < 0 ? -1 : 1;
}

/* One file into data/, unless it is there whole already. 1: fetched. */
static int fill_one(struct fill *f, struct image_handle *h, int datafd,
		    int tmpfd, const struct data_file *df, unsigned long seq,
		    struct error **err)
{
	uint64_t size = f->img->nodes[df->node].size;
	const char *name;
	char tmp[32];
	int dirfd, ret;

	if (data_present(datafd, df->path, size) ||
	    (yield_to_demand(f) && data_present(datafd, df->path, size)))
		return 0;
	snprintf(tmp, sizeof(tmp), "%lu", seq);
	ret = link_cached(f, datafd, tmpfd, tmp, df, err);
	if (ret)
		return ret < 0 ? -1 : 0;
	dirfd = data_open_parent(datafd, df->path, &name, err);
	if (dirfd < 0)
		return -1;
	ret = -1;
	if (image_fetch(h, df->node, tmpfd, tmp, err) < 0)
		goto out;
	if (renameat(tmpfd, tmp, dirfd, name) < 0) {
		error_set(err, errno, "rename into data/%s", df->path);
		unlinkat(tmpfd, tmp, 0);
		goto out;
	}
	ret = 1;
out:
	close(dirfd);
	return ret;
}

static int fill_all(const char *dir, struct image_handle *h, struct fill *f,
		    struct progress *p, struct error **err)
{
	char *data = path_join(dir, "data"), *tmp = path_join(dir, "tmp");
	int datafd = -1, tmpfd = -1, ret = -1, rc;
	size_t i;

	if (!data || !tmp) {
		error_set(err, ENOMEM, "%s", dir);
		goto out;
	}
	/* what a killed fill was writing: never renamed in, so garbage */
	if (remove_tree(tmp, err) < 0)
		goto out;
	if (mkdir(tmp, 0700) < 0) {
		error_set(err, errno, "create %s", tmp);
		goto out;
	}
	datafd = open(data, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	tmpfd = open(tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (datafd < 0 || tmpfd < 0) {
		error_set(err, errno, "open %s", datafd < 0 ? data : tmp);
		goto out;
	}
	for (i = 0; i < f->n; i++) {
		rc = fill_one(f, h, datafd, tmpfd, &f->files[i], i, err);
		if (rc < 0) {
			error_wrap(err, "fill /%s", f->files[i].path);
			goto out;
		}
		p->entries_done++;
		p->bytes_done += f->img->nodes[f->files[i].node].size;
		progress_update(p, false);
	}
	/* complete only once every renamed file is on disk */
	if (syncfs(datafd) < 0) {
		error_set(err, errno, "sync %s", data);
		goto out;
	}
	ret = store_set_state(dir, STORE_STATE_COMPLETE, err);
out:
	if (datafd >= 0)
		close(datafd);
	if (tmpfd >= 0)
		close(tmpfd);
	free(data);
	free(tmp);
	return ret;
}

/* The mount's lowerfs: its cache (only if it is this image's) and run dir. */
static int open_lowerfs(struct fill *f, const struct mount_state *s,
			const char *state_dir, struct error **err)
{
	if (s->cache && cache_open_existing(s->cache, image_fingerprint(f->img),
					    &f->cache, err) < 0)
		return error_wrap(err, "lowerfs cache");
	if (s->own_lower && s->lowerfs_pid && !(f->run = lower_run_dir(state_dir)))
		return error_set(err, ENOMEM, "fill");
	return 0;
}

int store_fill(const char *dir, struct image_handle *h,
	       const struct mount_state *s, const char *state_dir,
	       struct progress *p, struct error **err)
{
	struct fill f = { .img = image_tree(h) };
	char *lock = path_join(dir, "fill.lock");
	int lockfd = -1, usefd = -1, ret = -1;
	size_t i;

	f.files = calloc(f.img->count ? f.img->count : 1, sizeof(*f.files));
	f.seen = calloc(f.img->count ? f.img->count : 1, sizeof(*f.seen));
	if (!lock || !f.files || !f.seen) {
		error_set(err, ENOMEM, "fill %s", dir);
		goto out;
	}
	if (store_use_lock(dir, false, &usefd, err) < 0)
		goto out;
	/* one filler per image: a second one waits, then finds it done */
	lockfd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (lockfd < 0 || flock(lockfd, LOCK_EX) < 0) {
		error_set(err, errno, "lock %s", lock);
		goto out;
	}
	if (f.img->count && collect(&f, 0, "", err) < 0)
		goto out;
	if (open_lowerfs(&f, s, state_dir, err) < 0)
		goto out;
	qsort_r(f.files, f.n, sizeof(*f.files), by_source, (void *)f.img);
	p->entries_total = f.n;
	p->bytes_total = f.img->total_bytes;
	ret = fill_all(dir, h, &f, p, err);
out:
	if (ret < 0)
		error_wrap(err, "image store %s", dir);
	for (i = 0; i < f.n; i++)
		free(f.files[i].path);
	free(f.files);
	free(f.seen);
	cache_close(f.cache);
	free(f.run);
	free(lock);
	if (lockfd >= 0)
		close(lockfd);
	if (usefd >= 0)
		close(usefd);
	return ret;
}
