// SPDX-License-Identifier: MIT
/*
 * ovlmig migrate TARGET: copy the whole image up into the overlay while
 * it is in use. Pass 1 walks the merged tree depth first and copies every
 * entry up (regular files by --jobs workers); pass 2 marks each directory
 * whose entire subtree is up as opaque, re-checking just before marking.
 * The upper itself is the record of what is done, so a rerun after a
 * crash continues where the last run stopped.
 *
 * While the image's source is unreachable, copy-ups wait in lowerfs for
 * its grace period; migrate says so once (source_watch.c). A copy-up
 * that then fails because the source is still away ends the run with
 * that error instead of failing every file left.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "../common/fsutil.h"
#include "../common/util.h"
#include "../control/control.h"
#include "../image/source.h"
#include "beneath.h"
#include "copyup.h"
#include "lower.h"
#include "lowerfs_exec.h"
#include "migrate.h"
#include "progress.h"
#include "repin.h"
#include "repin_journal.h"
#include "source_watch.h"
#include "state.h"

/*
 * One batch is every regular file of one directory still to copy up:
 * copy-ups in one directory never run concurrently, because each one
 * restores the parent's times to what it saw before, and two at once
 * would leave the copy-up time on the directory.
 */
struct batch_file {
	char *name;
	struct stat st;
};

struct dir_batch {
	int dirfd;		/* overlay directory, dup'd for the job */
	char *rel;
	struct batch_file *files;
	size_t nfiles, cap;
};

struct walker {
	struct mount_state *s;
	const char *dir;
	struct progress prog;
	struct link_emulation limit;	/* --bandwidth */
	FILE *deferred;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct dir_batch *queue;
	size_t qlen, qcap, busy;
	bool done;
	struct error *err;		/* first worker failure */
	char *run;			/* lowerfs run dir, NULL without one */
	bool stop;			/* the source is gone: copy nothing more */
	pthread_t *threads;
	unsigned jobs;
	struct image_tree tree;		/* for executables: copy and swap */
};

/*
 * A regular file's data copy-up. An executable is copied beside and
 * swapped in instead: holding it open for writing, even for the moment of
 * a copy-up, would make a concurrent exec of it fail with ETXTBSY.
 * Running binaries hit by a plain copy-up are left for detach.
 */
static void copy_file(struct walker *w, int dirfd, const char *rel,
		      const struct batch_file *f)
{
	char *path = path_join(rel, f->name), *why;
	int rc;

	if (!path) {
		rc = -ENOMEM;
	} else if (f->st.st_mode & 0111) {
		struct error *e = NULL;

		/* in the directory the walk holds: no path to be swapped */
		rc = repin_image_file_in(&w->tree, dirfd, f->name, path, &e);
		if (rc < 0 && e)
			rc = -e->errnum;
		else if (rc > 0)
			rc = 0;		/* not the image's file any more */
		error_free(&e);
	} else {
		rc = copyup_entry(dirfd, f->name, &f->st);
	}
	/* EIO from a source that is still away: the grace period is over */
	why = rc == -EIO && w->run ? source_unreachable(w->run) : NULL;

	pthread_mutex_lock(&w->lock);
	if (why && !w->stop) {
		error_free(&w->err);
		error_set_msg(&w->err, EIO, "copy up /%s: the image's source is %s",
			      path ? path : f->name, why);
		w->stop = true;
		rc = 0;
	}
	if (rc == -ETXTBSY) {
		fprintf(w->deferred, "%s\n", path);
		fflush(w->deferred);
		w->prog.deferred++;
	} else if (rc < 0 && (!path || !beneath_workload_changed(-rc, "copied up", path)) &&
		   !w->err) {
		error_set(&w->err, -rc, "copy up /%s%s%s", rel, *rel ? "/" : "",
			  f->name);
	}
	w->prog.entries_done++;
	w->prog.bytes_done += (uint64_t)f->st.st_size;
	progress_update(&w->prog, false);	/* the walker may be waiting */
	pthread_mutex_unlock(&w->lock);
	link_transfer(&w->limit, (uint64_t)f->st.st_size);
	free(path);
	free(why);
}

static bool stopped(struct walker *w)
{
	bool stop;

	pthread_mutex_lock(&w->lock);
	stop = w->stop;
	pthread_mutex_unlock(&w->lock);
	return stop;
}

static void run_batch(struct walker *w, struct dir_batch *j)
{
	size_t i;

	for (i = 0; i < j->nfiles && !stopped(w); i++)
		copy_file(w, j->dirfd, j->rel, &j->files[i]);
}

static void batch_free(struct dir_batch *j)
{
	size_t i;

	if (j->dirfd >= 0)
		close(j->dirfd);
	for (i = 0; i < j->nfiles; i++)
		free(j->files[i].name);
	free(j->files);
	free(j->rel);
	memset(j, 0, sizeof(*j));
	j->dirfd = -1;
}

static int batch_add(struct dir_batch *j, const char *name, const struct stat *st)
{
	if (j->nfiles == j->cap) {
		size_t cap = j->cap ? 2 * j->cap : 16;
		struct batch_file *f = reallocarray(j->files, cap, sizeof(*f));

		if (!f)
			return -1;
		j->files = f;
		j->cap = cap;
	}
	j->files[j->nfiles].name = strdup(name);
	if (!j->files[j->nfiles].name)
		return -1;
	j->files[j->nfiles++].st = *st;
	return 0;
}

static void *worker(void *arg)
{
	struct walker *w = arg;
	struct dir_batch j;

	pthread_mutex_lock(&w->lock);
	for (;;) {
		while (!w->qlen && !w->done)
			pthread_cond_wait(&w->cond, &w->lock);
		if (!w->qlen)
			break;
		j = w->queue[--w->qlen];
		w->busy++;
		pthread_cond_broadcast(&w->cond);
		pthread_mutex_unlock(&w->lock);
		run_batch(w, &j);
		batch_free(&j);
		pthread_mutex_lock(&w->lock);
		w->busy--;
		pthread_cond_broadcast(&w->cond);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

/* Hand the files of one directory to the pool (or do them here). */
static int enqueue(struct walker *w, int dirfd, const char *rel, struct dir_batch *j,
		   struct error **err)
{
	if (!j->nfiles)
		return 0;
	j->dirfd = dup(dirfd);
	j->rel = strdup(rel);
	if (j->dirfd < 0 || !j->rel) {
		batch_free(j);
		return error_set(err, errno ? errno : ENOMEM, "queue /%s", rel);
	}
	if (w->jobs <= 1) {
		run_batch(w, j);
		batch_free(j);
		return 0;
	}
	pthread_mutex_lock(&w->lock);
	while (w->qlen == w->qcap)
		pthread_cond_wait(&w->cond, &w->lock);
	w->queue[w->qlen++] = *j;
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);
	memset(j, 0, sizeof(*j));
	j->dirfd = -1;
	return 0;
}

/* A subdirectory of the tree, never a symlink or another mount. */
static int open_dir(int dirfd, const char *name)
{
	return beneath_open(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0);
}

/* Pass 1: copy up every entry below overlay dir OVL (upper dir UP). */
static int copy_tree(struct walker *w, int ovl, int up, const char *rel,
		     struct error **err)
{
	struct dir_batch files = { .dirfd = -1 };
	char **names = NULL;
	size_t n = 0, i;
	int ret = 0;

	if (dir_names(ovl, rel, &names, &n, err) < 0)
		return -1;
	/* stopped: migrate_run reports the worker's error */
	for (i = 0; i < n && ret == 0 && !stopped(w); i++) {
		char *child = path_join(rel, names[i]);
		struct stat st;
		int co, cu, rc;

		if (!child) {
			ret = error_set(err, ENOMEM, "/%s", rel);
			break;
		}
		if (fstatat(ovl, names[i], &st, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno != ENOENT)	/* the workload removed it */
				ret = error_set(err, errno, "stat /%s", child);
			free(child);
			continue;
		}
		if (S_ISREG(st.st_mode)) {
			if (copyup_done(up, names[i], st.st_mode)) {
				pthread_mutex_lock(&w->lock);
				w->prog.entries_done++;
				w->prog.bytes_done += (uint64_t)st.st_size;
				pthread_mutex_unlock(&w->lock);
			} else if (batch_add(&files, names[i], &st) < 0) {
				ret = error_set(err, ENOMEM, "/%s", child);
			}
			free(child);
			continue;
		}
		if (!copyup_done(up, names[i], st.st_mode)) {
			rc = copyup_entry(ovl, names[i], &st);
			if (rc < 0 && !beneath_workload_changed(-rc, "copied up", child)) {
				ret = error_set(err, -rc, "copy up /%s", child);
				free(child);
				break;
			}
		}
		pthread_mutex_lock(&w->lock);
		w->prog.entries_done++;
		pthread_mutex_unlock(&w->lock);
		if (S_ISDIR(st.st_mode)) {
			co = open_dir(ovl, names[i]);
			cu = co >= 0 ? open_dir(up, names[i]) : -1;
			if (co >= 0 && cu >= 0)
				ret = copy_tree(w, co, cu, child, err);
			else if (!beneath_workload_changed(errno, "walked", child))
				ret = error_set(err, errno, "open /%s", child);
			if (co >= 0)
				close(co);
			if (cu >= 0)
				close(cu);
		}
		pthread_mutex_lock(&w->lock);
		progress_update(&w->prog, false);
		pthread_mutex_unlock(&w->lock);
		free(child);
	}
	dir_names_free(names, n);
	if (ret == 0)
		ret = enqueue(w, ovl, rel, &files, err);
	batch_free(&files);
	return ret;
}

/*
 * Is every entry of overlay dir OVL up in UP, and every subdirectory
 * already opaque? Checked right before marking, against the live tree.
 */
static bool subtree_up(int ovl, int up, const char *rel)
{
	struct error *err = NULL;
	char **names = NULL;
	size_t n = 0, i;
	bool all = true;

	if (dir_names(ovl, rel, &names, &n, &err) < 0) {
		error_free(&err);
		return false;
	}
	for (i = 0; i < n && all; i++) {
		struct stat st;

		if (fstatat(ovl, names[i], &st, AT_SYMLINK_NOFOLLOW) < 0) {
			all = errno == ENOENT;	/* gone meanwhile: not ours */
			continue;
		}
		all = copyup_done(up, names[i], st.st_mode) &&
		      (!S_ISDIR(st.st_mode) || is_opaque(up, names[i]));
	}
	dir_names_free(names, n);
	return all;
}

static int set_opaque(int up, const char *rel, struct error **err)
{
	if (fsetxattr(up, "trusted.overlay.opaque", "y", 1, 0) < 0)
		return error_set(err, errno, "mark /%s opaque", rel);
	return 0;
}

/* Pass 2: post-order, so a directory is marked after its subdirectories. */
static int mark_tree(struct walker *w, int ovl, int up, const char *rel,
		     bool is_root, uint64_t *marked, struct error **err)
{
	char **names = NULL;
	size_t n = 0, i;
	int ret = 0;

	if (is_opaque(up, "."))
		return 0;
	if (dir_names(ovl, rel, &names, &n, err) < 0)
		return -1;
	for (i = 0; i < n && ret == 0; i++) {
		struct stat st;
		char *child;
		int co, cu;

		if (fstatat(ovl, names[i], &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISDIR(st.st_mode))
			continue;
		co = open_dir(ovl, names[i]);
		cu = co >= 0 ? open_dir(up, names[i]) : -1;
		child = path_join(rel, names[i]);
		if (co >= 0 && cu >= 0 && child)
			ret = mark_tree(w, co, cu, child, false, marked, err);
		free(child);
		if (co >= 0)
			close(co);
		if (cu >= 0)
			close(cu);
	}
	dir_names_free(names, n);
	/* overlayfs ignores opacity on its root: it always merges there */
	if (ret == 0 && !is_root && subtree_up(ovl, up, rel)) {
		ret = set_opaque(up, rel, err);
		if (ret == 0)
			(*marked)++;
	}
	return ret;
}

static int start_pool(struct walker *w, struct error **err)
{
	unsigned i;
	int rc;

	if (w->jobs <= 1)
		return 0;
	w->qcap = 4 * w->jobs;
	w->queue = calloc(w->qcap, sizeof(*w->queue));
	w->threads = calloc(w->jobs, sizeof(*w->threads));
	if (!w->queue || !w->threads)
		return error_set(err, ENOMEM, "copy-up workers");
	for (i = 0; i < w->jobs; i++) {
		rc = pthread_create(&w->threads[i], NULL, worker, w);
		if (rc) {
			w->jobs = i;
			return error_set(err, rc, "start copy-up worker");
		}
	}
	return 0;
}

static void stop_pool(struct walker *w)
{
	unsigned i;

	pthread_mutex_lock(&w->lock);
	w->done = true;
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);
	for (i = 0; w->threads && i < w->jobs; i++)
		pthread_join(w->threads[i], NULL);
	free(w->threads);
	free(w->queue);
}

void migrate_totals(const char *dir, uint64_t *entries, uint64_t *bytes)
{
	struct error *err = NULL;
	char *run = lower_run_dir(dir);
	json_t *st = run ? control_stats(run, &err) : NULL;

	*entries = st ? (uint64_t)json_integer_value(json_object_get(st, CONTROL_KEY_ENTRIES)) : 0;
	*bytes = st ? (uint64_t)json_integer_value(json_object_get(st, CONTROL_KEY_BYTES_TOTAL)) : 0;
	if (*entries)
		(*entries)--;	/* the root is not copied up */
	json_decref(st);
	error_free(&err);
	free(run);
}

int migrate_first(const char *dir, struct mount_state *s, bool wait,
		  migrate_fn *migrate, const struct migrate_opts *o,
		  const char *missing, struct error **err)
{
	if (s->phase == PHASE_MIGRATED || s->phase == PHASE_DETACHED)
		return 0;
	if (!wait)
		return error_set(err, EAGAIN,
				 "migration is not complete (phase %s): %s%srun ovlmig migrate first, or detach --wait",
				 phase_name(s->phase), missing ? missing : "", missing ? "; " : "");
	return migrate(dir, s, o, err);
}

int migrate_run(const char *dir, struct mount_state *s,
		const struct migrate_opts *o, struct error **err)
{
	struct walker w = { .s = s, .dir = dir,
			    .jobs = o->jobs ? o->jobs : MIGRATE_JOBS_DEFAULT };
	struct source_watch watch;
	uint64_t entries, bytes, marked = 0;
	char *deferred_path = path_join(dir, "deferred");
	int ovl = -1, up = -1, meta = -1, ret = -1;

	pthread_mutex_init(&w.lock, NULL);
	pthread_cond_init(&w.cond, NULL);
	w.limit.bandwidth_bps = o->bandwidth_bps;
	pthread_mutex_init(&w.limit.lock, NULL);
	migrate_totals(dir, &entries, &bytes);
	progress_init(&w.prog, dir, entries, bytes);
	w.run = s->own_lower ? lower_run_dir(dir) : NULL;
	if (source_watch_start(&watch, w.run, s->target, err) < 0)
		goto out;
	if (!deferred_path || !(w.deferred = fopen(deferred_path, "we"))) {
		error_set(err, errno ? errno : ENOMEM, "open %s",
			  deferred_path ? deferred_path : "deferred list");
		goto out;
	}
	if (s->phase != PHASE_MIGRATED && state_set_phase(dir, s, PHASE_MIGRATING, err) < 0)
		goto out;
	ovl = open(s->target, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	up = open(s->upper, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	meta = s->meta ? open(s->meta, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
	if (ovl < 0 || up < 0 || meta < 0) {
		error_set(err, errno, "open %s", ovl < 0 ? s->target :
			  up < 0 ? s->upper : s->meta);
		goto out;
	}
	w.tree = (struct image_tree){ ovl, meta, s->meta };
	if (repin_journal(ovl, dir, err) < 0)
		goto out;
	if (start_pool(&w, err) < 0) {
		stop_pool(&w);
		goto out;
	}
	ret = copy_tree(&w, ovl, up, "", err);
	stop_pool(&w);
	if (ret == 0 && w.err) {
		*err = w.err;
		w.err = NULL;
		ret = -1;
	}
	if (ret == 0)
		ret = mark_tree(&w, ovl, up, "", true, &marked, err);
	progress_finish(&w.prog);
	if (ret == 0) {
		repin_journal_done();
		ret = state_set_phase(dir, s, PHASE_MIGRATED, err);
	}
	if (ret == 0)
		printf("%s: migrated %llu entries, %.1f MiB; %llu directories made opaque; %llu running binaries left for detach\n",
		       s->target, (unsigned long long)w.prog.entries_done,
		       (double)w.prog.bytes_done / 1048576,
		       (unsigned long long)marked,
		       (unsigned long long)w.prog.deferred);
out:
	source_watch_stop(&watch);
	free(w.run);
	error_free(&w.err);
	if (w.deferred)
		fclose(w.deferred);
	if (ovl >= 0)
		close(ovl);
	if (up >= 0)
		close(up);
	if (meta >= 0)
		close(meta);
	free(deferred_path);
	pthread_mutex_destroy(&w.limit.lock);
	pthread_mutex_destroy(&w.lock);
	pthread_cond_destroy(&w.cond);
	return ret;
}
