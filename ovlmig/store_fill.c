// SPDX-License-Identifier: MIT
/*
 * Filling an image's data/ (store.h): every regular file fetched whole
 * into an unnamed file (O_TMPFILE) in its directory, then linked in at
 * the path its metadata-layer entry redirects to (where the filesystem
 * has no O_TMPFILE: into tmp/, then renamed). A file is in data/
 * complete or not at all, so the overlay may take it from there the
 * moment it appears, and a killed fill resumes.
 *
 * Durability: nothing is fsynced per file. The rule is that the image is
 * marked complete only after a syncfs of the store; a file named in
 * data/ whose bytes a crash lost before that shows as short (ext4 and
 * XFS set the size on disk when the data is written back) and is
 * fetched again, since only a regular file of the image's size counts
 * as present.
 *
 * What the mount's lowerfs fetched whole is not fetched again: lowerfs
 * puts it in data/ itself (--store-image), and what its cache holds from
 * before is linked from there once its sha256 checks. While lowerfs
 * fetches a file a process waits on, the fill waits between files: the
 * link is the waiting process's first.
 *
 * A store filled by fanotify (fan_migrate.h): right after a file is
 * placed, its placeholder, if one was laid, is opened, so that the filler
 * fills it from data/ and renames it over data/'s copy: one copy on disk.
 *
 * --jobs workers take the large files in each layer's byte order and,
 * one of them first, the small files (fill_order.h): the link stays busy
 * from the first file to the last, and the small files' syscalls are done
 * while it is. --bandwidth is one shared link over all of them.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
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
#include "fan_holes.h"
#include "fan_migrate.h"
#include "fill_order.h"
#include "lowerfs_exec.h"
#include "store.h"

struct fill {
	const struct image *img;
	struct data_paths paths;	/* the same paths lowerfs feeds */
	struct fill_file *files;	/* paths in PATHS */
	size_t n;
	struct fill_queue queue;
	struct cache *cache;	/* lowerfs' cache, read only; NULL: none */
	char *run;		/* lowerfs' run dir; NULL: none to yield to */
	pthread_mutex_t demand_lock;	/* held by the job that polls; guards RUN */
	_Atomic uint64_t polled;	/* when lowerfs last said no one waits */
	atomic_bool demand;	/* the polling job saw a process waiting */
	int holesfd;	/* filled by fanotify: the placeholders (fan_holes.h); else -1 */
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
			f->files[f->n].size = f->img->nodes[node].size;
			f->files[f->n++].path = f->paths.path[node];
		}
	return 0;
}

/* A source without data locations (a directory): by its reference. */
static int by_source(const void *a, const void *b, void *arg)
{
	const struct image *img = arg;
	const struct image_node *x = &img->nodes[((const struct fill_file *)a)->node];
	const struct image_node *y = &img->nodes[((const struct fill_file *)b)->node];
	int c = strcmp(x->src_ref ? x->src_ref : "", y->src_ref ? y->src_ref : "");

	if (c)
		return c;
	return x->src_off < y->src_off ? -1 : x->src_off > y->src_off;
}

/*
 * Each file's place in its layer (image_locate), then the fill's order.
 * Locations only order the fill: a source that has none is taken in the
 * order of its references, as one layer.
 */
static int order(struct fill *f, struct image_handle *h, struct error **err)
{
	struct error *why = NULL;
	size_t i;

	for (i = 0; i < f->n; i++) {
		if (image_locate(h, f->files[i].node, &f->files[i].layer,
				 &f->files[i].off, &why) == 0)
			continue;
		if (why->errnum != ENOTSUP) {
			*err = why;
			return error_wrap(err, "order the fill");
		}
		error_free(&why);
		qsort_r(f->files, f->n, sizeof(*f->files), by_source, (void *)f->img);
		for (i = 0; i < f->n; i++) {
			f->files[i].layer = 0;
			f->files[i].off = i;
		}
		break;
	}
	fill_order(f->files, f->n, &f->queue);
	return 0;
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

	if (now_ns() - atomic_load(&f->polled) < DEMAND_POLL_NS)
		return false;	/* another job polled meanwhile */
	for (n = 0; f->run;) {
		if (control_demand(f->run, &n, &err) < 0) {
			/* lowerfs is gone (or stopped feeding): nothing to yield to */
			error_free(&err);
			free(f->run);
			f->run = NULL;
			n = 0;
			break;
		}
		atomic_store(&f->demand, n > 0);
		if (!n)
			break;
		waited = true;
		sleep_ns(2000000);
	}
	atomic_store(&f->demand, false);
	atomic_store(&f->polled, now_ns());
	return waited;
}

/*
 * One job polls lowerfs at a time. The others go on meanwhile (they
 * used to queue behind its round trip: under load most of a 100k-file
 * fill), unless the poller saw a process waiting: then they wait with it.
 */
static bool yield_to_demand(struct fill *f)
{
	bool waited;

	if (now_ns() - atomic_load(&f->polled) < DEMAND_POLL_NS)
		return false;
	if (pthread_mutex_trylock(&f->demand_lock)) {
		if (!atomic_load(&f->demand))
			return false;
		pthread_mutex_lock(&f->demand_lock);	/* until no one waits */
		pthread_mutex_unlock(&f->demand_lock);
		return true;
	}
	waited = yield_to_demand_locked(f);
	pthread_mutex_unlock(&f->demand_lock);
	return waited;
}

/* NODE from lowerfs' cache into data/, if it is there and checks. 1: done. */
static int link_cached(struct fill *f, int datafd, int tmpfd, const char *tmp,
		       const struct fill_file *df, struct error **err)
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

/*
 * The directory in data/ of a job's last file, kept open: in layer byte
 * order most files share their directory with the one before, and
 * opening it again cost a mkdirat and an openat per path component.
 *
 * From a job's second file in it on, also the names the directory held
 * then (one readdir): a small file whose name was not there is not looked
 * up (a negative lookup per file was a tenth of a 100k-file fill's CPU).
 * Named since, it was placed by lowerfs: linking in finds it (link_in).
 * Not on the first file: jobs going from directory to directory by turns
 * would read each whole directory per file.
 */
struct parent_dir {
	char *rel;	/* its path in data/ ("" for data/ itself) */
	size_t len;
	int fd;
	bool listed;	/* NAMES holds what the directory held */
	char **names;	/* sorted */
	size_t nnames;
};

static void names_free(struct parent_dir *pd)
{
	while (pd->nnames)
		free(pd->names[--pd->nnames]);
	free(pd->names);
	pd->names = NULL;
	pd->listed = false;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* PD's names, read now; unlisted if that fails (each file looked up). */
static void names_read(struct parent_dir *pd)
{
	int fd = openat(pd->fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	size_t cap = 0;
	struct dirent *e;
	char **grown;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return;
	}
	errno = 0;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (pd->nnames == cap) {
			cap = cap ? 2 * cap : 64;
			grown = realloc(pd->names, cap * sizeof(*grown));
			if (!grown)
				goto fail;
			pd->names = grown;
		}
		if (!(pd->names[pd->nnames] = strdup(e->d_name)))
			goto fail;
		pd->nnames++;
		errno = 0;
	}
	if (errno)
		goto fail;
	closedir(d);
	qsort(pd->names, pd->nnames, sizeof(*pd->names), by_name);
	pd->listed = true;
	return;
fail:
	closedir(d);
	names_free(pd);
}

/* NAME was not in PD when it was read: absent then. */
static bool names_lack(const struct parent_dir *pd, const char *name)
{
	return pd->listed && !bsearch(&name, pd->names, pd->nnames,
				      sizeof(*pd->names), by_name);
}

/* REL's directory, from PD if it is the last one; *NAME: its last name. */
static int parent_open(struct parent_dir *pd, int datafd, const char *rel,
		       const char **name, struct error **err)
{
	const char *slash = strrchr(rel, '/');
	size_t len = slash ? (size_t)(slash - rel) : 0;
	int fd;

	if (pd->fd >= 0 && pd->len == len && !memcmp(pd->rel, rel, len)) {
		*name = slash ? slash + 1 : rel;
		if (!pd->listed)
			names_read(pd);	/* a second file here: more may follow */
		return pd->fd;
	}
	fd = data_open_parent(datafd, rel, name, err);
	if (fd < 0)
		return -1;
	if (pd->fd >= 0)
		close(pd->fd);
	names_free(pd);
	free(pd->rel);
	pd->rel = strndup(rel, len);
	pd->len = len;
	pd->fd = pd->rel ? fd : -1;
	if (!pd->rel)
		close(fd);
	return pd->rel ? fd : error_set(err, ENOMEM, "data/%s", rel);
}

static void parent_close(struct parent_dir *pd)
{
	if (pd->fd >= 0)
		close(pd->fd);
	free(pd->rel);
	names_free(pd);
}

/* Where a fill's time goes, summed over its jobs (OVLMIG_DEBUG=1). */
enum fill_step { STEP_PARENT, STEP_CHECK, STEP_CACHED, STEP_FETCH, FILL_STEPS };
static const char *const fill_step_name[FILL_STEPS] = {
	"open the directory in data/", "look in data/ and wait for on-demand reads",
	"link from lowerfs' cache", "fetch (network, verify, decompress, write) and link in",
};

/* The time since *T0 to step S; *T0 moves on. */
static void step(uint64_t *ns, enum fill_step s, uint64_t *t0)
{
	uint64_t t = now_ns();

	ns[s] += t - *t0;
	*t0 = t;
}

/* DIRFD/NAME is a regular file of SIZE bytes: placed whole (no symlink). */
static bool present_at(int dirfd, const char *name, uint64_t size)
{
	struct stat st;

	/* short: data lost by a crash before the syncfs (see fill_all) */
	return fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	       S_ISREG(st.st_mode) && (uint64_t)st.st_size == size;
}

/*
 * The unnamed file FD as DIRFD/NAME: no rename, so no filesystem-wide
 * rename lock and no tmp/ name a kill could leave. 1: NAME was there
 * whole already (lowerfs placed it meanwhile).
 */
static int link_in(int fd, int dirfd, const char *name, uint64_t size)
{
	char proc[32];

	for (int tries = 0; tries < 2; tries++) {
		if (linkat(fd, "", dirfd, name, AT_EMPTY_PATH) == 0)
			return 0;
		if (errno == ENOENT || errno == EPERM) {	/* no CAP_DAC_READ_SEARCH */
			snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
			if (linkat(AT_FDCWD, proc, dirfd, name, AT_SYMLINK_FOLLOW) == 0)
				return 0;
		}
		if (errno != EEXIST)
			return -1;
		if (present_at(dirfd, name, size))
			return 1;
		/* short after a crash, or not a file: replace it */
		if (unlinkat(dirfd, name, 0) < 0 && errno != ENOENT)
			return -1;
	}
	errno = EEXIST;
	return -1;
}

/*
 * Fetch NODE into an unnamed file in DIRFD and link it in as NAME once
 * whole. 0: done; 1: the filesystem has no O_TMPFILE (go through tmp/).
 */
static int fetch_unnamed(struct image_handle *h, uint32_t node, uint64_t size,
			 int dirfd, const char *name, const char *path,
			 struct error **err)
{
	int fd = openat(dirfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
	int ret;

	if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL))
		return 1;
	if (fd < 0)
		return error_set(err, errno, "create a file in data/%s", path);
	ret = image_fetch_fd(h, node, fd, err);
	/*
	 * A large file's writeback started now (a hint): the syncfs before
	 * `complete` then has little left to write once the link is done.
	 */
	if (ret == 0 && size > FILL_SMALL_BYTES)
		(void)sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
	if (ret == 0 && link_in(fd, dirfd, name, size) < 0)
		ret = error_set(err, errno, "link into data/%s", path);
	close(fd);
	return ret < 0 ? -1 : 0;
}

/* The same through TMPFD/TMP and a rename. */
static int fetch_renamed(struct image_handle *h, uint32_t node, int tmpfd,
			 const char *tmp, int dirfd, const char *name,
			 const char *path, struct error **err)
{
	if (image_fetch(h, node, tmpfd, tmp, err) < 0)
		return -1;
	if (renameat(tmpfd, tmp, dirfd, name) < 0) {
		error_set(err, errno, "rename into data/%s", path);
		unlinkat(tmpfd, tmp, 0);
		return -1;
	}
	return 0;
}

/*
 * Filled by fanotify: DF's placeholder, if there is one, filled now that
 * DF is in data/ (the filler copies it, then renames it over data/'s file:
 * fan_holes.h), not at the end of the fill. So the disk never holds both
 * copies of more than the files in hand, and an overlay that resolves DF
 * meanwhile finds the placeholder or the file that will stay, but for
 * the moment between the two (a copy it resolves then, it pins until it
 * forgets DF). RET when done.
 */
static int hole_now(const struct fill *f, const struct fill_file *df,
		    uint64_t size, int ret, struct error **err)
{
	if (f->holesfd < 0 || fan_hole_whole(f->holesfd, df->path, size, err) == 0)
		return ret;
	return -1;
}

/*
 * DIRFD/NAME (in PD) is there whole; *LOOKUPS counts the lookups. A large
 * file is always looked up: fetched again, it would cross the link again.
 */
static bool present_in(const struct parent_dir *pd, int dirfd,
		       const char *name, uint64_t size, uint64_t *lookups)
{
	if (size <= FILL_SMALL_BYTES && names_lack(pd, name))
		return false;
	++*lookups;
	return present_at(dirfd, name, size);
}

/* One file into data/, unless it is there whole already. 1: fetched. */
static int fill_one(struct fill *f, struct image_handle *h, int datafd,
		    int tmpfd, const struct fill_file *df, unsigned long seq,
		    struct link_emulation *limit, struct parent_dir *pd,
		    uint64_t *ns, uint64_t *lookups, struct error **err)
{
	uint64_t size = f->img->nodes[df->node].size, t0 = now_ns();
	const char *name;
	char tmp[32];
	int dirfd, ret;

	dirfd = parent_open(pd, datafd, df->path, &name, err);
	if (dirfd < 0)
		return -1;
	step(ns, STEP_PARENT, &t0);
	if (present_in(pd, dirfd, name, size, lookups) ||
	    (yield_to_demand(f) && (++*lookups, present_at(dirfd, name, size)))) {
		step(ns, STEP_CHECK, &t0);
		return 0;
	}
	step(ns, STEP_CHECK, &t0);
	snprintf(tmp, sizeof(tmp), "%lu", seq);
	ret = link_cached(f, datafd, tmpfd, tmp, df, err);
	step(ns, STEP_CACHED, &t0);
	if (ret)
		return ret < 0 ? -1 : hole_now(f, df, size, 0, err);
	link_transfer(limit, size);	/* its turn on the capped link */
	ret = fetch_unnamed(h, df->node, size, dirfd, name, df->path, err);
	if (ret == 1)
		ret = fetch_renamed(h, df->node, tmpfd, tmp, dirfd, name,
				    df->path, err);
	step(ns, STEP_FETCH, &t0);
	return ret < 0 ? -1 : hole_now(f, df, size, 1, err);
}

/* What the workers share; LOCK guards NEXT, ERR and the progress. */
struct fill_run {
	struct fill *f;
	struct image_handle *h;
	int datafd, tmpfd;
	struct progress *p;
	struct link_emulation limit;
	pthread_mutex_t lock;
	pthread_cond_t taken;	/* a job took a large file, or the fill ends */
	bool done;		/* the jobs have ended: the warmers stop */
	struct error *err;	/* the first failure: the others stop */
	uint64_t ns[FILL_STEPS];
	uint64_t lookups;	/* files looked up by name in data/ */
	uint64_t t0, small_done_ns;	/* when the fill began; the last small file done */
};

/* One job: R, and whether it takes the small files first. */
struct fill_job {
	struct fill_run *r;
	bool small_first;
};

static void *fill_worker(void *arg)
{
	struct fill_job *job = arg;
	struct fill_run *r = job->r;
	uint64_t ns[FILL_STEPS] = { 0 }, lookups = 0;
	struct parent_dir pd = { .fd = -1 };
	struct error *err = NULL;
	size_t i;
	int rc;

	for (;;) {
		pthread_mutex_lock(&r->lock);
		if (r->err || !fill_take(&r->f->queue, job->small_first, &i)) {
			pthread_mutex_unlock(&r->lock);
			break;
		}
		if (i < r->f->queue.nlarge)
			pthread_cond_broadcast(&r->taken);	/* room to warm ahead */
		pthread_mutex_unlock(&r->lock);
		rc = fill_one(r->f, r->h, r->datafd, r->tmpfd, &r->f->files[i],
			      i, &r->limit, &pd, ns, &lookups, &err);
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
		if (i >= r->f->queue.nlarge && r->f->queue.next_small >= r->f->queue.n)
			r->small_done_ns = now_ns() - r->t0;	/* the last small ends last */
		pthread_mutex_unlock(&r->lock);
		error_free(&err);	/* a later failure than the one kept */
	}
	parent_close(&pd);
	pthread_mutex_lock(&r->lock);
	for (i = 0; i < FILL_STEPS; i++)
		r->ns[i] += ns[i];
	r->lookups += lookups;
	pthread_mutex_unlock(&r->lock);
	return NULL;
}

/*
 * Warming: large files fetched into the image's cache ahead of the jobs,
 * at most WARM_AHEAD bytes of them beyond what the jobs have taken. A job
 * decompresses from the cache, waiting for chunks in flight instead of
 * asking for them again, so the link no longer pauses while a job
 * decompresses and writes; a job whose file was not warmed yet fetches it
 * itself. The cache only holds verified chunks; a warm that fails is left
 * to the job (which reports the failure).
 */
#define WARM_AHEAD (64ull << 20)
#define WARMERS 2

static void *fill_warmer(void *arg)
{
	struct fill_run *r = arg;
	struct error *err = NULL;
	size_t i = 0;
	int rc = 0;

	for (;;) {
		pthread_mutex_lock(&r->lock);
		while (!r->done && !r->err &&
		       (rc = fill_warm_take(&r->f->queue, r->f->files, WARM_AHEAD,
					     &i)) == 1)
			pthread_cond_wait(&r->taken, &r->lock);
		if (r->done || r->err || rc < 0) {
			pthread_mutex_unlock(&r->lock);
			break;
		}
		pthread_mutex_unlock(&r->lock);
		yield_to_demand(r->f);	/* on-demand reads first */
		if (image_warm(r->h, r->f->files[i].node, &err) < 0) {
			rc = err->errnum;
			error_free(&err);
			if (rc == ENOTSUP)
				break;	/* nothing to warm: the jobs fetch */
		}
	}
	return NULL;
}

/* Warmers, when the fill runs parallel jobs over an uncapped link. */
static unsigned start_warmers(struct fill_run *r, unsigned jobs,
			      uint64_t bandwidth_bps, pthread_t *t)
{
	unsigned n = 0;

	/* --bandwidth caps each job's fetches: warming would pass it by */
	if (jobs < 2 || bandwidth_bps || !r->f->queue.nlarge)
		return 0;
	while (n < WARMERS && pthread_create(&t[n], NULL, fill_warmer, r) == 0)
		n++;	/* fewer (none): the jobs fetch it all themselves */
	return n;
}

static void stop_warmers(struct fill_run *r, pthread_t *t, unsigned n)
{
	pthread_mutex_lock(&r->lock);
	r->done = true;
	pthread_cond_broadcast(&r->taken);
	pthread_mutex_unlock(&r->lock);
	while (n)
		pthread_join(t[--n], NULL);
}

/*
 * JOBS workers (this thread one of them, the one that takes the small
 * files first when there are others) over every file of R.
 */
static int fill_parallel(struct fill_run *r, unsigned jobs,
			 uint64_t bandwidth_bps, struct error **err)
{
	pthread_t *t = calloc(jobs, sizeof(*t)), warm[WARMERS];
	struct fill_job *job = calloc(jobs, sizeof(*job));
	unsigned i, started = 0, warmers;
	int rc;

	if (!t || !job) {
		free(t);
		free(job);
		return error_set(err, ENOMEM, "fill: %u jobs", jobs);
	}
	for (i = 0; i < jobs; i++)
		job[i] = (struct fill_job){ .r = r, .small_first = i == 0 && jobs > 1 };
	warmers = start_warmers(r, jobs, bandwidth_bps, warm);
	for (i = 1; i < jobs && i < r->f->n; i++) {
		rc = pthread_create(&t[i], NULL, fill_worker, &job[i]);
		if (rc) {	/* fewer jobs than asked: still a fill */
			pthread_mutex_lock(&r->lock);
			if (!r->err)
				error_set(&r->err, rc, "fill: start job %u", i + 1);
			pthread_mutex_unlock(&r->lock);
			break;
		}
		started = i;
	}
	fill_worker(&job[0]);
	for (i = 1; i <= started; i++)
		pthread_join(t[i], NULL);
	stop_warmers(r, warm, warmers);
	free(t);
	free(job);
	if (r->err) {
		*err = r->err;
		r->err = NULL;
		return -1;
	}
	return 0;
}

/* OVLMIG_DEBUG=1: how long a step of the fill took, on stderr. */
static void debug_time(const char *what, uint64_t ns, const char *per)
{
	if (getenv("OVLMIG_DEBUG"))
		fprintf(stderr, "ovlmig migrate: %s: %.3f s%s\n", what,
			(double)ns / 1e9, per);
}

static void debug_steps(const struct fill_run *r, unsigned jobs)
{
	for (unsigned i = 0; i < FILL_STEPS; i++)
		debug_time(fill_step_name[i], r->ns[i],
			   jobs > 1 ? " (summed over the jobs)" : "");
	if (getenv("OVLMIG_DEBUG"))
		fprintf(stderr, "ovlmig migrate: looked up in data/ by name: %llu of %zu files\n",
			(unsigned long long)r->lookups, r->f->n);
}

/*
 * What a killed fill or lowerfs was writing in tmp/: never renamed in, so
 * garbage. Only names this fill (digits: fill_one's sequence numbers), a
 * lowerfs that is gone ("feed-PID-NODE", store_feed.c) or a fanotify
 * worker that is gone ("fan-PID-INO", fan_holes.c) made: a running lowerfs
 * or worker puts names there while the fill runs, and tmp/ stays.
 */
static int clean_tmp(int tmpfd, const char *tmp, struct error **err)
{
	int fd = openat(tmpfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	struct dirent *e;
	long pid;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return error_set(err, errno, "read %s", tmp);
	}
	while ((e = readdir(d))) {
		const char *n = e->d_name;
		bool ours = n[0] && strspn(n, "0123456789") == strlen(n);

		if (!ours && (sscanf(n, "feed-%ld-", &pid) == 1 ||
			      sscanf(n, "fan-%ld-", &pid) == 1) && pid > 0)
			ours = kill((pid_t)pid, 0) < 0 && errno == ESRCH;
		if (ours && unlinkat(tmpfd, n, 0) < 0 && errno != ENOENT) {
			error_set(err, errno, "remove %s/%s", tmp, n);
			closedir(d);
			return -1;
		}
	}
	closedir(d);
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
	uint64_t t0 = now_ns();

	r.t0 = t0;
	if (!data || !tmp) {
		error_set(err, ENOMEM, "%s", dir);
		goto out;
	}
	/* a running lowerfs may have made it already (store_feed.c) */
	if (mkdir(tmp, 0700) < 0 && errno != EEXIST) {
		error_set(err, errno, "create %s", tmp);
		goto out;
	}
	datafd = open(data, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	tmpfd = open(tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (datafd < 0 || tmpfd < 0) {
		error_set(err, errno, "open %s", datafd < 0 ? data : tmp);
		goto out;
	}
	if (clean_tmp(tmpfd, tmp, err) < 0)
		goto out;
	r.datafd = datafd;
	r.tmpfd = tmpfd;
	pthread_mutex_init(&r.lock, NULL);
	pthread_cond_init(&r.taken, NULL);
	pthread_mutex_init(&r.limit.lock, NULL);
	rc = fill_parallel(&r, o->jobs ? o->jobs : 1, o->bandwidth_bps, err);
	pthread_cond_destroy(&r.taken);
	pthread_mutex_destroy(&r.lock);
	pthread_mutex_destroy(&r.limit.lock);
	debug_time("fill", now_ns() - t0, "");
	if (f->queue.nlarge < f->n)
		debug_time("of it, until the small files were placed",
			   r.small_done_ns, "");
	debug_steps(&r, o->jobs ? o->jobs : 1);
	if (rc < 0)
		goto out;
	t0 = now_ns();
	/* complete only once every renamed file is on disk */
	if (syncfs(datafd) < 0) {
		error_set(err, errno, "sync %s", data);
		goto out;
	}
	debug_time("syncfs of the store", now_ns() - t0, "");
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
	struct fill f = { .img = image_tree(h), .holesfd = -1 };
	int lockfd = -1, usefd = -1, ret = -1;
	uint64_t t0 = now_ns();
	char *holes;

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
	if (s && s->fill && !strcmp(s->fill, "fanotify")) {
		holes = path_join(dir, FAN_HOLES_DIR);
		if (!holes) {
			error_set(err, ENOMEM, "%s", dir);
			goto out;
		}
		f.holesfd = open(holes, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (f.holesfd < 0 && errno != ENOENT) {
			error_set(err, errno, "open %s", holes);
			free(holes);
			goto out;
		}
		free(holes);
	}
	if (open_lowerfs(&f, s, state_dir, err) < 0)
		goto out;
	if (order(&f, h, err) < 0)
		goto out;
	debug_time("locks, data paths, lowerfs' cache, order", now_ns() - t0, "");
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
	if (f.holesfd >= 0)
		close(f.holesfd);
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
