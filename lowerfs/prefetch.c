// SPDX-License-Identifier: MIT
/*
 * Background prefetch: fetch every file not yet local, so a later
 * migration or detach never waits on the network. Files named in
 * --prefetch-list go first (a list `--record-access` wrote during an
 * earlier run: what the container needs at start); on-demand reads always
 * go before prefetch, and --prefetch-bandwidth caps its rate.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../common/util.h"
#include "lowerfs.h"

/* The node at PATH ("a/b", leading '/' allowed), or IMAGE_NONE. */
static uint32_t node_at(const struct image *img, const char *path)
{
	uint32_t n = 0;

	while (*path && n != IMAGE_NONE) {
		size_t len = strcspn(path, "/");

		if (len)
			n = image_lookup(img, n, path, len);
		path += len + (path[len] == '/');
	}
	return n;
}

/* Wait while on-demand fetches run, and to stay under the bandwidth cap. */
static void pace(struct lowerfs *fs, uint64_t start_ns, uint64_t bytes)
{
	uint64_t bps = fs->opts.prefetch_bandwidth_mbps * 1000000ull;

	while (atomic_load(&fs->demand) && !atomic_load(&fs->stopping))
		sleep_ns(5000000);
	if (bps) {
		uint64_t due = start_ns + bytes / bps * 1000000000ull +
			       bytes % bps * 1000000000ull / bps;
		uint64_t now = now_ns();

		while (due > now && !atomic_load(&fs->stopping)) {
			sleep_ns(due - now < 100000000 ? due - now : 100000000);
			now = now_ns();
		}
	}
}

static void prefetch_one(struct lowerfs *fs, uint32_t node, bool *done,
			 uint64_t start_ns, uint64_t *bytes)
{
	struct error *err = NULL;

	if (done[node] || !S_ISREG(fs->img.nodes[node].mode))
		return;
	done[node] = true;
	pace(fs, start_ns, *bytes);
	if (node_prefetch(fs, node, &err) < 0) {
		char *path = image_path(&fs->img, node);

		lowerfs_log("prefetch /%s: %s", path ? path : "?", err->msg);
		free(path);
		error_free(&err);
	}
	*bytes += fs->img.nodes[node].size;
	atomic_fetch_add(&fs->prefetch_done, 1);
}

static void prefetch_listed(struct lowerfs *fs, bool *done, uint64_t start_ns,
			    uint64_t *bytes)
{
	FILE *f = fopen(fs->opts.prefetch_list, "re");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	if (!f) {
		lowerfs_log("prefetch list %s: %s", fs->opts.prefetch_list,
			    strerror(errno));
		return;
	}
	while ((n = getline(&line, &cap, f)) > 0 && !atomic_load(&fs->stopping)) {
		uint32_t node;

		if (line[n - 1] == '\n')
			line[n - 1] = '\0';
		node = node_at(&fs->img, line);
		if (node != IMAGE_NONE)
			prefetch_one(fs, node, done, start_ns, bytes);
	}
	free(line);
	fclose(f);
}

static void *prefetch_main(void *arg)
{
	struct lowerfs *fs = arg;
	bool *done = calloc(fs->img.count, sizeof(*done));
	uint64_t start = now_ns(), bytes = 0;
	uint32_t i;

	if (!done) {
		lowerfs_log("prefetch: out of memory");
		goto out;
	}
	if (fs->opts.prefetch_list)
		prefetch_listed(fs, done, start, &bytes);
	for (i = 0; i < fs->img.count && !atomic_load(&fs->stopping); i++)
		prefetch_one(fs, i, done, start, &bytes);
	lowerfs_log("prefetch done: %llu files, %llu bytes in %.1f s",
		    (unsigned long long)atomic_load(&fs->prefetch_done),
		    (unsigned long long)bytes, (double)(now_ns() - start) / 1e9);
out:
	free(done);
	atomic_store(&fs->prefetch_running, false);
	return NULL;
}

int prefetch_start(struct lowerfs *fs, struct error **err)
{
	int rc;

	if (!fs->cache)
		return error_set(err, EINVAL, "prefetch needs a cache (--cache DIR)");
	if (fs->prefetch_started)
		return 0;
	atomic_store(&fs->prefetch_running, true);
	rc = pthread_create(&fs->prefetch_thread, NULL, prefetch_main, fs);
	if (rc) {
		atomic_store(&fs->prefetch_running, false);
		return error_set(err, rc, "start prefetch");
	}
	fs->prefetch_started = true;
	return 0;
}

void prefetch_join(struct lowerfs *fs)
{
	if (fs->prefetch_started)
		pthread_join(fs->prefetch_thread, NULL);
	fs->prefetch_started = false;
}
