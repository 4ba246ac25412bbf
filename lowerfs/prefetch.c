// SPDX-License-Identifier: MIT
/*
 * Background prefetch: fetch every file not yet local, so a later
 * migration or detach never waits on the network. Files named in
 * --prefetch-list go first, in their order (a list `--record-access`
 * wrote during an earlier run: what the container needs at start), or
 * else those of the list published with the image in its registry
 * (`ovlmig index --push --startup-list`). With a list and no --prefetch,
 * only the listed files are fetched, right after the mount.
 * Several workers fetch at once: each file costs a round trip, and one
 * after another they would leave the link idle. On-demand reads go
 * before the rest of the image: no worker starts an unlisted file while
 * one runs.
 * Listed files whose compressed bytes lie close together (small files of
 * a layer read through its own TOC) are fetched in one request, by the
 * worker that takes the first of them (prefetch_group.h).
 * --prefetch-bandwidth caps the rate of all workers together.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/util.h"
#include "lowerfs.h"
#include "prefetch_group.h"

#define PREFETCH_WORKERS 4
#define LIST_FILE_MAX (64u << 20)
/*
 * Listed neighbours: at most this far apart, at most this much in one
 * group. A round trip costs more link time than 64 KiB at 50 MB/s (1.3
 * ms); a group's first file waits for the whole group, so it stays
 * small beside the large files, which are alone.
 */
#define GROUP_GAP (64u << 10)
#define GROUP_MAX (1u << 20)

/* The files to fetch, in order, shared by the workers. */
struct prefetch_run {
	struct lowerfs *fs;
	uint32_t *order;
	size_t n, nlisted;	/* the listed files are order[0, nlisted) */
	uint32_t *group_of;	/* by listed file: its group; NULL: none */
	struct prefetch_group *groups;
	atomic_bool *claimed;	/* by group: a worker has fetched it */
	atomic_size_t next;
	uint64_t start_ns;
	atomic_uint_fast64_t bytes;
};

/*
 * Wait while on-demand fetches run (not for a listed file: the start-up
 * reads it foretells would otherwise starve it, one after another), and
 * to stay under the bandwidth cap.
 */
static void pace(struct prefetch_run *run, bool listed)
{
	struct lowerfs *fs = run->fs;
	uint64_t bps = fs->opts.prefetch_bandwidth_mbps * 1000000ull;
	uint64_t bytes = atomic_load(&run->bytes);

	while (!listed && atomic_load(&fs->demand) && !atomic_load(&fs->stopping))
		sleep_ns(5000000);
	if (bps) {
		uint64_t due = run->start_ns + bytes / bps * 1000000000ull +
			       bytes % bps * 1000000000ull / bps;
		uint64_t now = now_ns();

		while (due > now && !atomic_load(&fs->stopping)) {
			sleep_ns(due - now < 100000000 ? due - now : 100000000);
			now = now_ns();
		}
	}
}

/* The group of listed file I, fetched whole by the first worker to get there. */
static void fetch_group(struct prefetch_run *run, size_t i)
{
	struct lowerfs *fs = run->fs;
	const struct prefetch_group *g;
	struct error *err = NULL;
	uint32_t k;

	if (!run->group_of || i >= run->nlisted)
		return;
	k = run->group_of[i];
	g = &run->groups[k];
	if (g->files < 2 || atomic_exchange(&run->claimed[k], true))
		return;
	/* on failure each file fetches its own bytes: only logged */
	if (fs->src->ops->fetch_extent(fs->src, g->layer, g->start, g->end, &err) < 0) {
		lowerfs_log("prefetch: %u listed files at %llu-%llu of layer %u together: %s",
			    g->files, (unsigned long long)g->start,
			    (unsigned long long)g->end, g->layer, err->msg);
		error_free(&err);
	}
}

static void prefetch_one(struct prefetch_run *run, size_t i)
{
	struct lowerfs *fs = run->fs;
	uint32_t node = run->order[i];
	struct error *err = NULL;

	pace(run, i < run->nlisted);
	fetch_group(run, i);
	if (node_prefetch(fs, node, &err) < 0) {
		char *path = image_path(&fs->img, node);

		lowerfs_log("prefetch /%s: %s", path ? path : "?", err->msg);
		free(path);
		error_free(&err);
	}
	atomic_fetch_add(&run->bytes, fs->img.nodes[node].size);
	atomic_fetch_add(&fs->prefetch_done, 1);
}

/* Take the next file: the listed ones, and the rest once asked for. */
static bool take(struct prefetch_run *run, size_t *i)
{
	size_t next = atomic_load(&run->next);

	for (;;) {
		size_t limit = atomic_load(&run->fs->prefetch_whole) ?
			       run->n : run->nlisted;

		if (next >= limit || atomic_load(&run->fs->stopping))
			return false;
		if (atomic_compare_exchange_weak(&run->next, &next, next + 1)) {
			*i = next;
			return true;
		}
	}
}

static void *worker(void *arg)
{
	struct prefetch_run *run = arg;
	size_t i;

	while (take(run, &i))
		prefetch_one(run, i);
	return NULL;
}

/* FILE whole, at most MAX bytes, into *TEXT (malloc'd). */
static int read_file(const char *file, size_t max, char **text, size_t *len,
		     struct error **err)
{
	int fd = open(file, O_RDONLY | O_CLOEXEC);
	struct stat st;
	char *buf;

	if (fd < 0)
		return error_set(err, errno, "open");
	if (fstat(fd, &st) < 0) {
		error_set(err, errno, "stat");
		close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size > max) {
		close(fd);
		return error_set_msg(err, EFBIG, "not a regular file of at most %zu bytes",
				     max);
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		close(fd);
		return error_set(err, ENOMEM, "read");
	}
	if (pread_all(fd, buf, (size_t)st.st_size, 0) < 0) {
		error_set(err, errno, "read");
		free(buf);
		close(fd);
		return -1;
	}
	close(fd);
	*text = buf;
	*len = (size_t)st.st_size;
	return 0;
}

/* The nodes of --prefetch-list FILE; none (logged) when it cannot be read. */
static void listed_from_file(struct lowerfs *fs, uint32_t **nodes, size_t *n)
{
	const char *file = fs->opts.prefetch_list;
	struct error *err = NULL;
	char *text = NULL;
	size_t len = 0;

	*nodes = NULL;
	*n = 0;
	if (read_file(file, LIST_FILE_MAX, &text, &len, &err) < 0 ||
	    prefetch_list_parse(fs, file, text, len, nodes, n, &err) < 0) {
		lowerfs_log("prefetch list %s: %s", file, err->msg);
		error_free(&err);
	}
	free(text);
}

/* The nodes of the list published with the image; none when there is none. */
static void listed_from_source(struct lowerfs *fs, uint32_t **nodes, size_t *n)
{
	struct error *err = NULL;
	char *text = NULL;
	size_t len = 0;

	*nodes = NULL;
	*n = 0;
	if (!fs->src->ops->prefetch_list)
		return;
	if (fs->src->ops->prefetch_list(fs->src, &text, &len, &err) < 0 ||
	    (text && prefetch_list_parse(fs, "in the registry", text, len, nodes,
					 n, &err) < 0)) {
		lowerfs_log("prefetch list in the registry: %s", err->msg);
		error_free(&err);
	} else if (text) {
		lowerfs_log("prefetch list in the registry: %zu files", *n);
	}
	free(text);
}

/* Listed files first, in their order, each once; then every other file. */
static int build_order(struct prefetch_run *run, const uint32_t *listed,
		       size_t nlisted)
{
	struct lowerfs *fs = run->fs;
	bool *taken = calloc(fs->img.count, sizeof(*taken));
	uint32_t i;

	run->order = malloc((nlisted + fs->img.count) * sizeof(*run->order));
	if (!taken || !run->order) {
		free(taken);
		return -1;
	}
	for (i = 0; i < nlisted; i++)
		if (!taken[listed[i]]) {
			taken[listed[i]] = true;
			run->order[run->n++] = listed[i];
		}
	run->nlisted = run->n;
	for (i = 0; i < fs->img.count; i++)
		if (!taken[i] && S_ISREG(fs->img.nodes[i].mode))
			run->order[run->n++] = i;
	free(taken);
	return 0;
}

/*
 * The listed files' groups (see GROUP_GAP): none when the source cannot
 * say where a file's bytes are, or nothing is listed. Only a saving:
 * failing leaves every file to fetch its own bytes.
 */
static void plan_groups(struct prefetch_run *run)
{
	struct lowerfs *fs = run->fs;
	struct prefetch_extent *ext;
	struct error *err = NULL;
	size_t i, ngroups = 0, grouped = 0, used = 0;

	if (run->nlisted < 2 || !fs->src->ops->extent || !fs->src->ops->fetch_extent)
		return;
	ext = calloc(run->nlisted, sizeof(*ext));
	run->group_of = calloc(run->nlisted, sizeof(*run->group_of));
	if (!ext || !run->group_of)
		goto fail;
	for (i = 0; i < run->nlisted; i++) {
		struct prefetch_extent *e = &ext[i];
		int r = fs->src->ops->extent(fs->src, &fs->img, run->order[i], &e->layer,
					     &e->start, &e->end, &err);

		if (r < 0) {
			char *path = image_path(&fs->img, run->order[i]);

			lowerfs_log("prefetch /%s: %s", path ? path : "?", err->msg);
			free(path);
			error_free(&err);
		}
		e->known = r > 0;
	}
	if (prefetch_group(ext, run->nlisted, GROUP_GAP, GROUP_MAX, run->group_of,
			   &run->groups, &ngroups, &err) < 0)
		goto fail;
	run->claimed = calloc(ngroups ? ngroups : 1, sizeof(*run->claimed));
	if (!run->claimed)
		goto fail;
	for (i = 0; i < ngroups; i++)
		if (run->groups[i].files > 1) {
			grouped += run->groups[i].files;
			used++;
		}
	if (used)
		lowerfs_log("prefetch: %zu of the %zu listed files in %zu requests of neighbours",
			    grouped, run->nlisted, used);
	free(ext);
	return;
fail:
	lowerfs_log("prefetch: listed neighbours not grouped: %s",
		    err ? err->msg : strerror(ENOMEM));
	error_free(&err);
	free(ext);
	free(run->group_of);
	free(run->groups);
	run->group_of = NULL;
	run->groups = NULL;
}

static void *prefetch_main(void *arg)
{
	struct lowerfs *fs = arg;
	struct prefetch_run run = { .fs = fs, .start_ns = now_ns() };
	pthread_t t[PREFETCH_WORKERS - 1];
	uint32_t *listed = NULL;
	size_t nlisted = 0;
	unsigned i, started = 0;

	if (fs->opts.prefetch_list)
		listed_from_file(fs, &listed, &nlisted);
	else
		listed_from_source(fs, &listed, &nlisted);
	if (build_order(&run, listed, nlisted) < 0) {
		lowerfs_log("prefetch: out of memory");
		goto out;
	}
	plan_groups(&run);
again:
	started = 0;
	for (i = 0; i < PREFETCH_WORKERS - 1; i++) {
		int rc = pthread_create(&t[i], NULL, worker, &run);

		if (rc) {
			lowerfs_log("prefetch: worker %u: %s", i + 1, strerror(rc));
			break;
		}
		started++;
	}
	worker(&run);
	for (i = 0; i < started; i++)
		pthread_join(t[i], NULL);
	if (run.n && (run.nlisted || atomic_load(&fs->prefetch_whole)) &&
	    (!atomic_load(&fs->prefetch_whole) || atomic_load(&run.next) >= run.n))
		lowerfs_log("prefetch done: %llu files, %llu bytes in %.1f s",
			    (unsigned long long)atomic_load(&fs->prefetch_done),
			    (unsigned long long)atomic_load(&run.bytes),
			    (double)(now_ns() - run.start_ns) / 1e9);
	/*
	 * The whole image was asked for while the listed files were being
	 * fetched: go on (prefetch_start saw this run still running), unless
	 * prefetch_start started a new run (it took the flag first). Once
	 * the flag is down, another run may own it: never touched again.
	 */
	atomic_store(&fs->prefetch_running, false);
	if (atomic_load(&fs->prefetch_whole) && atomic_load(&run.next) < run.n &&
	    !atomic_load(&fs->stopping)) {
		bool idle = false;

		if (atomic_compare_exchange_strong(&fs->prefetch_running, &idle, true))
			goto again;
	}
	goto done;
out:
	atomic_store(&fs->prefetch_running, false);
done:
	free(listed);
	free(run.order);
	free(run.group_of);
	free(run.groups);
	free(run.claimed);
	return NULL;
}

int prefetch_start(struct lowerfs *fs, bool whole, struct error **err)
{
	bool idle = false;
	int rc;

	if (!fs->cache)
		return error_set(err, EINVAL, "prefetch needs a cache (--cache DIR)");
	if (whole)
		atomic_store(&fs->prefetch_whole, true);
	if (fs->prefetch_started && !whole)
		return 0;
	/* a run under way takes the whole image on by itself */
	if (!atomic_compare_exchange_strong(&fs->prefetch_running, &idle, true))
		return 0;
	prefetch_join(fs);	/* a listed-only run that has ended */
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
