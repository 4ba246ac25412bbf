// SPDX-License-Identifier: MIT
/*
 * Filling an image's data/ (store.h): every regular file fetched whole
 * into tmp/, then renamed to the path its metadata-layer entry redirects
 * to. A file is in data/ complete or not at all, so the overlay may take
 * it from there the moment it appears, and a killed fill resumes.
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

/* The directory of REL under DATAFD, made as needed; its fd. */
static int open_parent(int datafd, const char *rel, const char **name,
		       struct error **err)
{
	char *copy = strdup(rel), *p, *slash;
	int fd = dup(datafd), next;

	if (!copy || fd < 0) {
		error_set(err, copy ? errno : ENOMEM, "data/%s", rel);
		goto fail;
	}
	for (p = copy; (slash = strchr(p, '/')); p = slash + 1) {
		*slash = '\0';
		if (mkdirat(fd, p, 0700) < 0 && errno != EEXIST) {
			error_set(err, errno, "mkdir data/%s", copy);
			goto fail;
		}
		next = openat(fd, p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0) {
			error_set(err, errno, "open data/%s", copy);
			goto fail;
		}
		close(fd);
		fd = next;
		*slash = '/';
	}
	*name = rel + (p - copy);
	free(copy);
	return fd;
fail:
	if (fd >= 0)
		close(fd);
	free(copy);
	return -1;
}

/* One file into data/, unless it is there whole already. 1: fetched. */
static int fill_one(struct image_handle *h, int datafd, int tmpfd,
		    const struct data_file *df, unsigned long seq,
		    struct error **err)
{
	const struct image_node *n = &image_tree(h)->nodes[df->node];
	const char *name;
	char tmp[32];
	struct stat st;
	int dirfd, ret = -1;

	dirfd = open_parent(datafd, df->path, &name, err);
	if (dirfd < 0)
		return -1;
	/* a size short of the image's: data lost by a crash before a sync */
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISREG(st.st_mode) && (uint64_t)st.st_size == n->size) {
		ret = 0;
		goto out;
	}
	snprintf(tmp, sizeof(tmp), "%lu", seq);
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
		rc = fill_one(h, datafd, tmpfd, &f->files[i], i, err);
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

int store_fill(const char *dir, struct image_handle *h, struct progress *p,
	       struct error **err)
{
	struct fill f = { .img = image_tree(h) };
	int lockfd = -1, usefd = -1, ret = -1;
	size_t i;

	f.files = calloc(f.img->count ? f.img->count : 1, sizeof(*f.files));
	f.seen = calloc(f.img->count ? f.img->count : 1, sizeof(*f.seen));
	if (!f.files || !f.seen) {
		error_set(err, ENOMEM, "fill %s", dir);
		goto out;
	}
	if (store_use_lock(dir, false, &usefd, err) < 0)
		goto out;
	/* one filler per image: a second one waits, then finds it done */
	if (store_lock(dir, "fill.lock", LOCK_EX, &lockfd, err) < 0)
		goto out;
	if (f.img->count && collect(&f, 0, "", err) < 0)
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
	if (lockfd >= 0)
		close(lockfd);
	if (usefd >= 0)
		close(usefd);
	return ret;
}
