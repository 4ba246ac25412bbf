// SPDX-License-Identifier: MIT
/*
 * The data path: a regular file's data comes from the cache (fetched
 * whole on first open) or, without a cache, from the source in place.
 * Opens are then served with FUSE passthrough onto that local file, so
 * reads and mmaps never come back to this process.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "../common/util.h"
#include "fuse_compat.h"
#include "lowerfs.h"

int nodes_init(struct lowerfs *fs, struct error **err)
{
	uint32_t i;

	fs->nodes = calloc(fs->img.count, sizeof(*fs->nodes));
	if (!fs->nodes)
		return error_set(err, ENOMEM, "node table for %u entries",
				 fs->img.count);
	for (i = 0; i < fs->img.count; i++) {
		pthread_mutex_init(&fs->nodes[i].lock, NULL);
		fs->nodes[i].data_fd = -1;
	}
	return 0;
}

void nodes_free(struct lowerfs *fs)
{
	uint32_t i;

	if (!fs->nodes)
		return;
	for (i = 0; i < fs->img.count; i++) {
		if (fs->nodes[i].data_fd >= 0)
			close(fs->nodes[i].data_fd);
		pthread_mutex_destroy(&fs->nodes[i].lock);
	}
	free(fs->nodes);
	fs->nodes = NULL;
}

uint64_t nodes_live_count(struct lowerfs *fs)
{
	uint64_t live = 0;
	uint32_t i;

	/* the root is always held by the mount itself: not counted */
	for (i = 1; i < fs->img.count; i++)
		if (atomic_load(&fs->nodes[i].lookups) ||
		    atomic_load(&fs->nodes[i].opens))
			live++;
	return live;
}

/* A fetch from the source began at START (now_ns()): count how long it took. */
static void fetch_timed(struct lowerfs *fs, uint64_t start)
{
	uint64_t us = (now_ns() - start) / 1000;

	atomic_fetch_add(&fs->stats.fetch_latency[fetch_latency_bucket(us)], 1);
	atomic_fetch_add(&fs->stats.fetch_latency_sum_us, us);
}

/*
 * The cached copy of NODE, fetched now if absent or not what was fetched
 * (unless the image store has it whole), and then fed to the store.
 * Its digest is checked once per process: the cache directory is root's
 * alone (dir_check_private), so only root could change it afterwards.
 * Node lock held.
 */
static int cached_fd_locked(struct lowerfs *fs, uint32_t node,
			    struct error **err)
{
	struct node_state *ns = &fs->nodes[node];
	struct error *why = NULL;
	uint64_t start;
	int fd = cache_lookup(fs->cache, node, fs->img.nodes[node].size,
			      !ns->cache_checked, &why);

	if (fd >= 0) {
		if (!ns->cache_checked)	/* verified just now: once per process */
			store_feed_file(fs, node, fd);
		ns->cache_checked = true;
		atomic_fetch_add(&fs->stats.cache_hits, 1);
		return fd;
	}
	/* the fill (or another container's lowerfs) got it already */
	fd = store_feed_lookup(fs, node);
	if (fd >= 0) {
		error_free(&why);
		atomic_fetch_add(&fs->stats.store_hits, 1);
		return fd;
	}
	if (why) {
		char *path = image_path(&fs->img, node);

		lowerfs_log("cached /%s refused, fetching it again: %s",
			    path ? path : "?", why->msg);
		free(path);
		error_free(&why);
	}
	start = now_ns();
	fd = cache_fill(fs->cache, fs->src, &fs->img, node, err);
	fetch_timed(fs, start);
	if (fd < 0) {
		atomic_fetch_add(&fs->stats.fetch_errors, 1);
		return -1;
	}
	ns->cache_checked = true;
	store_feed_file(fs, node, fd);
	atomic_fetch_add(&fs->stats.files_fetched, 1);
	atomic_fetch_add(&fs->stats.bytes_fetched, fs->img.nodes[node].size);
	return fd;
}

/* Files beyond --whole-file-max are read by chunks, when the source can. */
static bool node_chunked(struct lowerfs *fs, uint32_t node)
{
	return fs->src->ops->read &&
	       fs->img.nodes[node].size > fs->opts.whole_file_max;
}

/* Called with the node lock held. */
static int data_fd_locked(struct lowerfs *fs, uint32_t node, struct error **err)
{
	struct node_state *ns = &fs->nodes[node];
	int fd;

	if (ns->data_fd >= 0)
		return ns->data_fd;
	if (fs->cache) {
		/* an on-demand fetch: the background prefetch waits for it */
		atomic_fetch_add(&fs->demand, 1);
		fd = cached_fd_locked(fs, node, err);
		atomic_fetch_sub(&fs->demand, 1);
	} else if (fs->src->ops->open_local) {
		fd = fs->src->ops->open_local(fs->src, &fs->img, node, err);
	} else {
		return error_set(err, ENOTSUP, "this source needs --cache");
	}
	if (fd >= 0)
		ns->data_fd = fd;
	return fd;
}

/* Register the data fd as a passthrough backing file, once per open period. */
static void backing_open_locked(struct lowerfs *fs, uint32_t node)
{
	struct node_state *ns = &fs->nodes[node];
	struct fuse_backing_map map = { .fd = ns->data_fd };
	int id;

	if (!fs->passthrough || ns->no_passthrough || ns->backing_id > 0)
		return;
	id = ioctl(fs->devfd, FUSE_DEV_IOC_BACKING_OPEN, &map);
	if (id <= 0) {
		char *path = image_path(&fs->img, node);

		/* e.g. a backing file on a stacked filesystem: serve reads */
		lowerfs_log("passthrough unavailable for /%s, serving reads: %s",
			    path ? path : "?", strerror(errno));
		free(path);
		ns->no_passthrough = true;
		return;
	}
	ns->backing_id = id;
}

int node_data_open(struct lowerfs *fs, uint32_t node, int *backing_id,
		   struct error **err)
{
	struct node_state *ns = &fs->nodes[node];
	int fd;

	record_access(fs, node);
	prefetch_boost(fs, node);
	pthread_mutex_lock(&ns->lock);
	if (node_chunked(fs, node)) {
		/* READs come here and are served chunk by chunk */
		ns->chunked = true;
		*backing_id = 0;
		atomic_fetch_add(&ns->opens, 1);
		atomic_fetch_add(&fs->stats.chunked_opens, 1);
		pthread_mutex_unlock(&ns->lock);
		return 0;
	}
	fd = data_fd_locked(fs, node, err);
	if (fd < 0) {
		pthread_mutex_unlock(&ns->lock);
		return -1;
	}
	backing_open_locked(fs, node);
	*backing_id = ns->backing_id;
	atomic_fetch_add(&ns->opens, 1);
	if (ns->backing_id > 0)
		atomic_fetch_add(&fs->stats.passthrough_opens, 1);
	else
		atomic_fetch_add(&fs->stats.fallback_opens, 1);
	pthread_mutex_unlock(&ns->lock);
	return 0;
}

/*
 * Last release: the kernel has dropped every file that used the backing
 * id, so it can be closed now (never right after the OPEN reply: the
 * opener looks the id up only after the reply arrives).
 */
void node_data_release(struct lowerfs *fs, uint32_t node)
{
	struct node_state *ns = &fs->nodes[node];

	pthread_mutex_lock(&ns->lock);
	if (atomic_load(&ns->opens) && atomic_fetch_sub(&ns->opens, 1) == 1) {
		if (ns->backing_id > 0) {
			uint32_t id = (uint32_t)ns->backing_id;

			if (ioctl(fs->devfd, FUSE_DEV_IOC_BACKING_CLOSE, &id) < 0)
				lowerfs_log("backing close %u: %s", id,
					    strerror(errno));
			ns->backing_id = 0;
		}
		if (ns->data_fd >= 0) {
			close(ns->data_fd);
			ns->data_fd = -1;
		}
	}
	pthread_mutex_unlock(&ns->lock);
}

int node_prefetch(struct lowerfs *fs, uint32_t node, struct error **err)
{
	struct node_state *ns = &fs->nodes[node];
	int fd = 0;

	if (node_chunked(fs, node))
		return fs->src->ops->warm ?
			fs->src->ops->warm(fs->src, &fs->img, node, err) : 0;
	if (!fs->cache)
		return 0;
	pthread_mutex_lock(&ns->lock);
	if (ns->data_fd < 0) {
		fd = cached_fd_locked(fs, node, err);
		if (fd >= 0)
			close(fd);
	}
	pthread_mutex_unlock(&ns->lock);
	return fd < 0 ? -1 : 0;
}

/*
 * A READ for a file opened before a takeover: this process never saw its
 * OPEN. Open the data (kept until that file's RELEASE, counted as one).
 */
int node_data_reopen(struct lowerfs *fs, uint32_t node)
{
	struct node_state *ns = &fs->nodes[node];
	struct error *err = NULL;
	int fd;

	pthread_mutex_lock(&ns->lock);
	if (node_chunked(fs, node)) {
		ns->chunked = true;
		if (!atomic_load(&ns->opens))
			atomic_store(&ns->opens, 1);
		pthread_mutex_unlock(&ns->lock);
		return 0;
	}
	fd = data_fd_locked(fs, node, &err);
	if (fd >= 0 && !atomic_load(&ns->opens))
		atomic_store(&ns->opens, 1);
	pthread_mutex_unlock(&ns->lock);
	if (fd < 0) {
		lowerfs_log("reopen after takeover: %s", err->msg);
		error_free(&err);
	}
	return fd;
}

ssize_t node_read_chunked(struct lowerfs *fs, uint32_t node, uint64_t off,
			  void *buf, size_t len, struct error **err)
{
	uint64_t size = fs->img.nodes[node].size, start;
	ssize_t n;

	if (off >= size)
		return 0;
	if (len > size - off)
		len = (size_t)(size - off);
	atomic_fetch_add(&fs->demand, 1);
	start = now_ns();
	n = fs->src->ops->read(fs->src, &fs->img, node, off, buf, len, err);
	fetch_timed(fs, start);
	atomic_fetch_sub(&fs->demand, 1);
	if (n < 0)
		atomic_fetch_add(&fs->stats.fetch_errors, 1);
	return n;
}
