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
 *
 * --jobs workers take the files in layer byte order; --bandwidth is one
 * shared link over all of them.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
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
	const char *path;	/* what META's redirect names (in PATHS) */
};

struct fill {
	const struct image *img;
	struct data_paths paths;	/* the same paths lowerfs feeds */
	struct data_file *files;
	size_t n;
	struct cache *cache;	/* lowerfs' cache, read only; NULL: none */
	char *run;		/* lowerfs' run dir; NULL: none to yield to */
	uint64_t polled;	/* when lowerfs last said no one waits */
	pthread_mutex_t demand_lock;	/* guards RUN and POLLED */
};

/* Every regular file once, at the path META's redirect names. */
static int collect(struct fill *f, struct error **err)
{
	uint32_t node;

	if (data_paths_build(f->img, &f->paths, err) < 0)
		return -1;
	for (node = 0; node < f->paths.count; node++)
		if (f->paths.path[node]) {
			f->files[f->n].node = node;
			f->files[f->n++].path = f->paths.path[node];
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
static bool yield_to_demand_locked(struct fill *f)
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

/* One worker polls lowerfs at a time; the others wait with it. */
static bool yield_to_demand(struct fill *f)
{
	bool waited;

	pthread_mutex_lock(&f->demand_lock);
	waited = yield_to_demand_locked(f);
	pthread_mutex_unlock(&f->demand_lock);
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
		    struct link_emulation *limit, struct error **err)
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
	link_transfer(limit, size);	/* its turn on the capped link */
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

/* What the workers share; LOCK guards NEXT, ERR and the progress. */
struct fill_run {
	struct fill *f;
	struct image_handle *h;
	int datafd, tmpfd;
	struct progress *p;
	struct link_emulation limit;
	pthread_mutex_t lock;
	size_t next;
	struct error *err;	/* the first failure: the others stop */
};

static void *fill_worker(void *arg)
{
	struct fill_run *r = arg;
	struct error *err = NULL;
	size_t i;
	int rc;

	for (;;) {
		pthread_mutex_lock(&r->lock);
		i = r->next++;
		if (r->err || i >= r->f->n) {
			pthread_mutex_unlock(&r->lock);
			break;
		}
		pthread_mutex_unlock(&r->lock);
		rc = fill_one(r->f, r->h, r->datafd, r->tmpfd, &r->f->files[i],
			      i, &r->limit, &err);
		pthread_mutex_lock(&r->lock);
		if (rc < 0 && !r->err) {
			error_wrap(&err, "fill /%s", r->f->files[i].path);
			r->err = err;
			err = NULL;
		} else if (rc >= 0) {
			r->p->entries_done++;
			r->p->bytes_done += r->f->img->nodes[r->f->files[i].node].size;
			progress_update(r->p, false);
		}
		pthread_mutex_unlock(&r->lock);
		error_free(&err);	/* a later failure than the one kept */
	}
	return NULL;
}

/* JOBS workers (this thread one of them) over every file of R. */
static int fill_parallel(struct fill_run *r, unsigned jobs, struct error **err)
{
	pthread_t *t = calloc(jobs, sizeof(*t));
	unsigned i, started = 0;
	int rc;

	if (!t)
		return error_set(err, ENOMEM, "fill: %u jobs", jobs);
	for (i = 1; i < jobs && i < r->f->n; i++) {
		rc = pthread_create(&t[i], NULL, fill_worker, r);
		if (rc) {	/* fewer jobs than asked: still a fill */
			pthread_mutex_lock(&r->lock);
			if (!r->err)
				error_set(&r->err, rc, "fill: start job %u", i + 1);
			pthread_mutex_unlock(&r->lock);
			break;
		}
		started = i;
	}
	fill_worker(r);
	for (i = 1; i <= started; i++)
		pthread_join(t[i], NULL);
	free(t);
	if (r->err) {
		*err = r->err;
		r->err = NULL;
		return -1;
	}
	return 0;
}

static int fill_all(const char *dir, struct image_handle *h, struct fill *f,
		    const struct migrate_opts *o, struct progress *p,
		    struct error **err)
{
	char *data = path_join(dir, "data"), *tmp = path_join(dir, "tmp");
	struct fill_run r = {
		.f = f, .h = h, .p = p,
		.limit = { .bandwidth_bps = o->bandwidth_bps },
	};
	int datafd = -1, tmpfd = -1, ret = -1, rc;

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
	r.datafd = datafd;
	r.tmpfd = tmpfd;
	pthread_mutex_init(&r.lock, NULL);
	pthread_mutex_init(&r.limit.lock, NULL);
	rc = fill_parallel(&r, o->jobs ? o->jobs : 1, err);
	pthread_mutex_destroy(&r.lock);
	pthread_mutex_destroy(&r.limit.lock);
	if (rc < 0)
		goto out;
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
	       const struct migrate_opts *o, struct progress *p,
	       struct error **err)
{
	struct fill f = { .img = image_tree(h) };
	int lockfd = -1, usefd = -1, ret = -1;

	f.files = calloc(f.img->count ? f.img->count : 1, sizeof(*f.files));
	pthread_mutex_init(&f.demand_lock, NULL);
	if (!f.files) {
		error_set(err, ENOMEM, "fill %s", dir);
		goto out;
	}
	if (store_use_lock(dir, false, &usefd, err) < 0)
		goto out;
	/* one filler per image: a second one waits, then finds it done */
	if (store_lock(dir, "fill.lock", LOCK_EX, &lockfd, err) < 0)
		goto out;
	if (collect(&f, err) < 0)
		goto out;
	if (open_lowerfs(&f, s, state_dir, err) < 0)
		goto out;
	qsort_r(f.files, f.n, sizeof(*f.files), by_source, (void *)f.img);
	p->entries_total = f.n;
	p->bytes_total = f.img->total_bytes;
	ret = fill_all(dir, h, &f, o, p, err);
out:
	if (ret < 0)
		error_wrap(err, "image store %s", dir);
	free(f.files);
	data_paths_free(&f.paths);
	cache_close(f.cache);
	free(f.run);
	pthread_mutex_destroy(&f.demand_lock);
	if (lockfd >= 0)
		close(lockfd);
	if (usefd >= 0)
		close(usefd);
	return ret;
}

unsigned store_fill_jobs(const char *source)
{
	/* a registry or tar layers over http(s): latency to hide */
	if (source && (!strncmp(source, "docker:", 7) ||
		       (!strncmp(source, "tar:", 4) &&
			(strstr(source, "http://") || strstr(source, "https://")))))
		return 4;
	return 1;
}
