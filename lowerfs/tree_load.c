// SPDX-License-Identifier: MIT
/*
 * The image's tree: read from the source (the layer indexes or a saved
 * tree), then the node table, the cache of that image, the record list
 * and the image store to feed. With --load-in-background lowerfs mounts
 * and answers INIT (and STATFS) first and loads all this on a thread:
 * every request that needs the tree waits here until it is there, so
 * nothing is ever answered from a tree half built.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "../common/util.h"
#include "lowerfs.h"

int tree_load_init(struct lowerfs *fs, struct error **err)
{
	struct tree_load *t = &fs->tree;
	int rc;

	t->state = TREE_LOADING;
	t->done_fd = -1;
	rc = pthread_mutex_init(&t->lock, NULL);
	if (rc)
		return error_set(err, rc, "tree lock");
	rc = pthread_cond_init(&t->cond, NULL);
	if (rc) {
		pthread_mutex_destroy(&t->lock);
		return error_set(err, rc, "tree condition");
	}
	t->done_fd = eventfd(0, EFD_CLOEXEC);
	if (t->done_fd < 0) {
		pthread_cond_destroy(&t->cond);
		pthread_mutex_destroy(&t->lock);
		return error_set(err, errno, "eventfd");
	}
	return 0;
}

/* The store the mount feeds: not fatal, the filler fetches what is missing. */
static void feed_store(struct lowerfs *fs, const char *dir)
{
	struct error *why = NULL;

	/* the image may be gone meanwhile (gc): serve without feeding */
	if (store_feed_start(fs, dir, &why) < 0) {
		lowerfs_log("not feeding the image store: %s", why->msg);
		error_free(&why);
	}
}

static int load(struct lowerfs *fs, struct error **err)
{
	if (fs->src->ops->index(fs->src, &fs->img, err) < 0 ||
	    image_finalize(&fs->img, err) < 0 || nodes_init(fs, err) < 0)
		return -1;
	if (fs->opts.cache_dir &&
	    cache_open(fs->opts.cache_dir, image_fingerprint(&fs->img),
		       &fs->cache, err) < 0)
		return -1;
	if (record_access_open(fs, err) < 0)
		return -1;
	if (fs->opts.store_image)
		feed_store(fs, fs->opts.store_image);
	return 0;
}

/* The end of a load: waiters woken, a store-image asked meanwhile done. */
static void finish(struct lowerfs *fs, enum tree_state state)
{
	struct tree_load *t = &fs->tree;
	uint64_t one = 1;

	pthread_mutex_lock(&t->lock);
	if (state == TREE_READY && t->pending_store)
		feed_store(fs, t->pending_store);
	/* after every write to the tree: readers see it whole */
	__atomic_store_n(&t->state, state, __ATOMIC_RELEASE);
	pthread_cond_broadcast(&t->cond);
	pthread_mutex_unlock(&t->lock);
	if (t->done_fd >= 0 && write(t->done_fd, &one, sizeof(one)) < 0)
		lowerfs_log("tree loaded: wake main loop: %s", strerror(errno));
}

int tree_load_now(struct lowerfs *fs, struct error **err)
{
	int ret = load(fs, err);

	finish(fs, ret < 0 ? TREE_FAILED : TREE_READY);
	return ret;
}

static void *loader(void *arg)
{
	struct lowerfs *fs = arg;
	struct error *err = NULL;

	if (tree_load_now(fs, &err) < 0) {
		lowerfs_log("image tree not loaded, requests get EIO: %s",
			    err->msg);
		error_free(&err);
		lowerfs_request_exit(fs, "the image's tree could not be loaded");
		return NULL;
	}
	lowerfs_log("tree loaded in the background in %.3f s",
		    (double)(now_ns() - fs->tree.start_ns) / 1e9);
	return NULL;
}

int tree_load_start(struct lowerfs *fs, struct error **err)
{
	struct tree_load *t = &fs->tree;
	int rc;

	t->start_ns = now_ns();
	rc = pthread_create(&t->thread, NULL, loader, fs);
	if (rc)
		return error_set(err, rc, "start the tree loader thread");
	t->started = true;
	return 0;
}

bool tree_ready(struct lowerfs *fs)
{
	return __atomic_load_n(&fs->tree.state, __ATOMIC_ACQUIRE) == TREE_READY;
}

int tree_wait(struct lowerfs *fs)
{
	struct tree_load *t = &fs->tree;
	enum tree_state state;

	if (tree_ready(fs))
		return 0;
	pthread_mutex_lock(&t->lock);
	/* bounded waits: a stopping lowerfs sets no condition */
	while ((state = t->state) == TREE_LOADING &&
	       !atomic_load(&fs->stopping)) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 100 * 1000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&t->cond, &t->lock, &ts);
	}
	pthread_mutex_unlock(&t->lock);
	return state == TREE_READY ? 0 : -1;
}

int tree_store_image(struct lowerfs *fs, const char *dir, struct error **err)
{
	struct tree_load *t = &fs->tree;
	enum tree_state state;

	pthread_mutex_lock(&t->lock);
	state = t->state;
	if (state == TREE_LOADING) {
		if (t->pending_store && strcmp(t->pending_store, dir)) {
			pthread_mutex_unlock(&t->lock);
			return error_set(err, EBUSY, "store-image %s: already asked for %s",
					 dir, t->pending_store);
		}
		if (!t->pending_store && !(t->pending_store = strdup(dir))) {
			pthread_mutex_unlock(&t->lock);
			return error_set(err, ENOMEM, "store-image %s", dir);
		}
	}
	pthread_mutex_unlock(&t->lock);
	if (state == TREE_FAILED)
		return error_set(err, EIO, "store-image %s: the image's tree was not loaded", dir);
	/* loading: fed once the tree is there (finish), refusals logged then */
	return state == TREE_READY ? store_feed_start(fs, dir, err) : 0;
}

void tree_load_stop(struct lowerfs *fs)
{
	struct tree_load *t = &fs->tree;

	if (t->started)
		pthread_join(t->thread, NULL);
	t->started = false;
	free(t->pending_store);
	t->pending_store = NULL;
	if (t->done_fd >= 0) {
		close(t->done_fd);
		t->done_fd = -1;
		pthread_cond_destroy(&t->cond);
		pthread_mutex_destroy(&t->lock);
	}
}
