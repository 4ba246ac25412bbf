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
 * Where the source says which compressed bytes a file needs (a layer read
 * through its own TOC), the workers only fetch them, and one processor
 * thread decompresses, verifies and caches the fetched files, the
 * earliest in the list first: the container reads them in that order,
 * and four decompressions at once on a busy machine made the first
 * needed file wait for CPU behind the later ones. An open of a listed
 * file fetched but not yet processed decompresses it at once on its own
 * thread, so no read waits behind that queue either.
 * --prefetch-bandwidth caps the rate of all workers together.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/util.h"
#include "index_heap.h"
#include "lowerfs.h"
#include "prefetch_group.h"

#define PREFETCH_WORKERS 4
#ifndef PREFETCH_PROCESSORS
#define PREFETCH_PROCESSORS 1
#endif
#ifndef PROCESSOR_NICE
#define PROCESSOR_NICE 10
#endif
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
	uint32_t *next_in_group;	/* by listed file: the next of its group, or UINT32_MAX */
	struct prefetch_group *groups;
	uint32_t *first_of;	/* by group: its first listed file */
	atomic_bool *claimed;	/* by group: a worker has fetched it */
	/* listed files fetched, for the processor (ready_lock) */
	pthread_mutex_t ready_lock;
	pthread_cond_t ready_cond;
	struct index_heap ready;
	bool fetched_all;	/* the workers have ended: no more come */
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

/* File I fetched, decompressed, verified and cached, or found there. */
static void process(struct prefetch_run *run, size_t i)
{
	struct lowerfs *fs = run->fs;
	uint32_t node = run->order[i];
	struct error *err = NULL;

	if (node_prefetch(fs, node, &err) < 0) {
		char *path = image_path(&fs->img, node);

		lowerfs_log("prefetch /%s: %s", path ? path : "?", err->msg);
		free(path);
		error_free(&err);
	}
	atomic_fetch_add(&run->bytes, fs->img.nodes[node].size);
	atomic_fetch_add(&fs->prefetch_done, 1);
}

/* Whether listed file I is fetched by a worker and processed apart. */
static bool split(const struct prefetch_run *run, size_t i)
{
	const struct prefetch_group *g;

	if (!run->group_of || i >= run->nlisted)
		return false;
	g = &run->groups[run->group_of[i]];
	return g->start < g->end;
}

/*
 * The group of listed file I, fetched whole by the first worker to get
 * there, and each of its files handed to the processor.
 */
static void fetch_listed(struct prefetch_run *run, size_t i)
{
	struct lowerfs *fs = run->fs;
	uint32_t k = run->group_of[i], j;
	const struct prefetch_group *g = &run->groups[k];
	struct error *err = NULL;

	if (atomic_exchange(&run->claimed[k], true))
		return;		/* another worker has it */
	/* on failure each file fetches its own bytes as it is processed */
	if (fs->src->ops->fetch_extent(fs->src, g->layer, g->start, g->end, &err) < 0) {
		lowerfs_log("prefetch: %u listed file%s at %llu-%llu of layer %u: %s",
			    g->files, g->files == 1 ? "" : "s",
			    (unsigned long long)g->start,
			    (unsigned long long)g->end, g->layer, err->msg);
		error_free(&err);
	}
	pthread_mutex_lock(&run->ready_lock);
	for (j = run->first_of[k]; j != UINT32_MAX; j = run->next_in_group[j])
		index_heap_push(&run->ready, j);	/* room for each once */
	pthread_cond_broadcast(&run->ready_cond);
	pthread_mutex_unlock(&run->ready_lock);
}

/*
 * The processor: the fetched listed files, the earliest in the list first.
 * It runs niced: work done ahead uses the CPU the container and the
 * on-demand reads leave (an open decompressing the file it needs now,
 * the command itself), never takes it from them; an open that must wait
 * for the file it is on lifts it to nice 0 for that file (prefetch_boost).
 */
static void *processor(void *arg)
{
	struct prefetch_run *run = arg;
	uint32_t i;

	struct lowerfs *fs = run->fs;
	pid_t tid = gettid();

	/* a thread's own nice value (Linux); only a preference if refused */
	if (setpriority(PRIO_PROCESS, (id_t)tid, PROCESSOR_NICE) < 0)
		lowerfs_log("prefetch: processor at the process' priority: %s",
			    strerror(errno));
	else
		atomic_store(&fs->processor_tid, (int)tid);
	pthread_mutex_lock(&run->ready_lock);
	while (!atomic_load(&fs->stopping)) {
		if (index_heap_pop(&run->ready, &i)) {
			pthread_mutex_unlock(&run->ready_lock);
			atomic_store(&fs->processor_node, run->order[i] + 1);
			process(run, i);
			atomic_store(&fs->processor_node, 0);
			/* an open waited on it: back in the background */
			if (atomic_exchange(&fs->processor_boosted, false))
				(void)setpriority(PRIO_PROCESS, (id_t)tid, PROCESSOR_NICE);
			pthread_mutex_lock(&run->ready_lock);
			continue;
		}
		if (run->fetched_all)
			break;
		pthread_cond_wait(&run->ready_cond, &run->ready_lock);
	}
	pthread_mutex_unlock(&run->ready_lock);
	atomic_store(&fs->processor_tid, 0);
	return NULL;
}

void prefetch_boost(struct lowerfs *fs, uint32_t node)
{
	int tid = atomic_load(&fs->processor_tid);

	/* raising a priority needs CAP_SYS_NICE: lowerfs runs as root */
	if (tid && atomic_load(&fs->processor_node) == node + 1 &&
	    !atomic_exchange(&fs->processor_boosted, true))
		(void)setpriority(PRIO_PROCESS, (id_t)tid, 0);
}

static void prefetch_one(struct prefetch_run *run, size_t i)
{
	pace(run, i < run->nlisted);
	if (split(run, i))
		fetch_listed(run, i);
	else
		process(run, i);
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
	run->first_of = malloc((ngroups ? ngroups : 1) * sizeof(*run->first_of));
	run->next_in_group = malloc(run->nlisted * sizeof(*run->next_in_group));
	if (!run->claimed || !run->first_of || !run->next_in_group ||
	    index_heap_init(&run->ready, run->nlisted) < 0)
		goto fail;
	/* each group's files in list order, from its first */
	for (i = 0; i < ngroups; i++)
		run->first_of[i] = UINT32_MAX;
	for (i = run->nlisted; i-- > 0;) {
		uint32_t k = run->group_of[i];

		run->next_in_group[i] = run->first_of[k];
		run->first_of[k] = (uint32_t)i;
	}
	for (i = 0; i < ngroups; i++)
		if (run->groups[i].start < run->groups[i].end) {
			grouped += run->groups[i].files;
			used++;
		}
	if (used)
		lowerfs_log("prefetch: %zu of the %zu listed files in %zu range requests (neighbours together)",
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
	free(run->claimed);
	free(run->first_of);
	free(run->next_in_group);
	index_heap_free(&run->ready);
	run->group_of = NULL;
	run->groups = NULL;
	run->claimed = NULL;
	run->first_of = NULL;
	run->next_in_group = NULL;
}

static void *prefetch_main(void *arg)
{
	struct lowerfs *fs = arg;
	struct prefetch_run run = { .fs = fs, .start_ns = now_ns(),
				    .ready_lock = PTHREAD_MUTEX_INITIALIZER,
				    .ready_cond = PTHREAD_COND_INITIALIZER };
	pthread_t t[PREFETCH_WORKERS - 1], p[PREFETCH_PROCESSORS];
	unsigned nproc = 0;
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
	nproc = 0;
	run.fetched_all = false;
	while (run.group_of && atomic_load(&run.next) < run.nlisted &&
	       nproc < PREFETCH_PROCESSORS &&
	       pthread_create(&p[nproc], NULL, processor, &run) == 0)
		nproc++;
	if (run.group_of && !nproc && atomic_load(&run.next) < run.nlisted) {
		/* no processor: each file fetched and processed by its worker */
		lowerfs_log("prefetch: no processor thread: the workers decompress");
		free(run.group_of);
		run.group_of = NULL;
	}
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
	pthread_mutex_lock(&run.ready_lock);
	run.fetched_all = true;
	pthread_cond_broadcast(&run.ready_cond);
	pthread_mutex_unlock(&run.ready_lock);
	for (i = 0; i < nproc; i++)
		pthread_join(p[i], NULL);
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
	free(run.first_of);
	free(run.next_in_group);
	index_heap_free(&run.ready);
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
