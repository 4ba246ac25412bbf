// SPDX-License-Identifier: MIT
/*
 * Detach: take the lazy lower away from a fully
 * migrated overlay with zero errors for running processes. The sequence
 * (../shared/DESIGN.md): make the kernel drop its references into the
 * lower, repin every file still reached through it, re-check until only
 * files held open by processes (served by passthrough from local disk)
 * remain, then abort the FUSE connection, unmount and stop lowerfs and
 * delete its cache. If something would break, do not abort: say which
 * paths and which processes hold them, and exit 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/fsutil.h"
#include "../common/util.h"
#include "../control/control.h"
#include "beneath.h"
#include "copyup.h"
#include "detach.h"
#include "detached.h"
#include "fusectl.h"
#include "holders.h"
#include "lower.h"
#include "lowerfs_exec.h"
#include "meta.h"
#include "migrate.h"
#include "repin.h"
#include "repin_journal.h"
#include "shutdown.h"
#include "state.h"

#define MAX_ROUNDS 4

struct detach {
	const char *dir;
	struct mount_state *s;
	char *run;		/* lowerfs run dir */
	int rootfd;		/* the overlay */
	int metafd;		/* the metadata layer */
	struct image_tree tree;	/* the overlay and its metadata layer */
	struct holder *holders;
	size_t nholders;
	unsigned repinned;
	bool dropped_caches;
	json_t *blocked;	/* path -> reason */
};

static bool has_live_file_below(json_t *live, const char *dir)
{
	size_t len = strlen(dir), i;
	bool below = false;
	json_t *n;

	json_array_foreach(live, i, n) {
		const char *t = json_string_value(json_object_get(n, CONTROL_KEY_TYPE));
		char *p = t && !strcmp(t, CONTROL_TYPE_FILE) ? control_live_path(n) : NULL;

		below = p && !strncmp(p, dir, len) && p[len] == '/';
		free(p);
		if (below)
			break;
	}
	return below;
}

/*
 * One round over what lowerfs says the kernel still holds. Returns the
 * number of nodes that are still a problem, counting repins as progress
 * in *acted.
 */
static long round_once(struct detach *d, json_t *live, bool *acted,
		       struct error **err)
{
	long problems = 0;
	size_t i;
	json_t *n;

	*acted = false;
	json_array_foreach(live, i, n) {
		/* "path" is for people (printable); control_live_path has the bytes */
		const char *shown = json_string_value(json_object_get(n, CONTROL_KEY_PATH));
		const char *type = json_string_value(json_object_get(n, CONTROL_KEY_TYPE));
		json_int_t opens = json_integer_value(json_object_get(n, CONTROL_KEY_OPENS));
		char *path = control_live_path(n);
		struct error *why = NULL;
		const char *rel;
		bool at;
		int rc;

		if (!path || !shown || !type || path[0] != '/') {
			free(path);
			return error_set(err, errno == ENOMEM ? ENOMEM : EPROTO,
					 "lowerfs live: bad node %zu", i);
		}
		rel = path + 1;
		if (!strcmp(type, "dir")) {
			if (!has_live_file_below(live, path)) {
				problems++;
				json_object_set_new(d->blocked, shown,
					json_string("directory still cached"));
			}
			free(path);
			continue;
		}
		if (strcmp(type, "file")) {
			problems++;
			json_object_set_new(d->blocked, shown,
					    json_string("still cached"));
			free(path);
			continue;
		}
		at = image_file_at(&d->tree, rel, &why);
		repin_log_skipped(&why);
		if (at && !opens && !d->dropped_caches) {
			/* most likely an unused cached dentry: drop, not repin */
			problems++;
			json_object_set_new(d->blocked, shown,
					    json_string("still cached"));
		} else if (at) {
			if (holders_writing(d->holders, d->nholders, rel)) {
				problems++;
				json_object_set_new(d->blocked, shown,
					json_string("open for writing: cannot repin"));
			} else {
				rc = repin_image_file(&d->tree, rel, err);
				if (rc < 0) {
					free(path);
					return -1;
				}
				d->repinned += rc == 0;
				*acted |= rc == 0;
			}
		}
		/*
		 * Otherwise its name leads elsewhere (repinned, replaced or
		 * removed): only current users hold it, through files whose
		 * data is already local.
		 */
		free(path);
	}
	return problems;
}

/*
 * Unused overlay dentries keep their reference into the data layer and
 * nothing but memory pressure frees them; failing their revalidation
 * would turn into ESTALE for processes. So, when lowerfs' own targeted
 * invalidation leaves such nodes, drop the kernel's dentry and inode
 * caches (not the page cache).
 */
static int drop_dentry_caches(struct detach *d, struct error **err)
{
	/* "2": slab only (dentries, inodes); clean, so no sync is needed */
	int fd = open("/proc/sys/vm/drop_caches", O_WRONLY | O_CLOEXEC);

	if (fd < 0 || write_all(fd, "2", 1) < 0) {
		error_set(err, errno, "drop dentry caches");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	d->dropped_caches = true;
	return 0;
}

/*
 * What a drop of the dentry caches releases reaches lowerfs as FORGETs,
 * asynchronously and in batches (a directory's after its children's), so
 * its live list just after the drop is not final: a directory whose files
 * are forgotten already but which is not yet looks still cached. When a
 * re-check finds such leftovers, wait for the FORGETs (lowerfs'
 * invalidate settles them) and look again, for this long at the most.
 */
#define FORGET_WAIT_NS (5 * 1000000000ull)

/*
 * Until lowerfs says the kernel holds nothing of the lower that processes
 * could still need: invalidate, repin what is held, re-check; drop the
 * dentry caches once if that is not enough: when a re-check repins
 * nothing, or after MAX_ROUNDS that each repinned something (processes
 * that keep opening image files give every re-check another one). 1:
 * something still needs the lower (d->blocked says what).
 */
static int settle(struct detach *d, struct error **err)
{
	json_t *live = NULL;
	uint64_t deadline = 0;
	long problems = 0;
	bool acted;
	int r;

	if (control_invalidate(d->run, err) < 0)
		return -1;
	for (r = 0;; r++) {
		json_decref(live);
		json_object_clear(d->blocked);
		holders_free(d->holders, d->nholders);
		d->holders = NULL;
		d->nholders = 0;
		if (holders_find(d->s->target, &d->holders, &d->nholders) < 0)
			return error_set(err, errno, "scan /proc");
		live = control_live(d->run, err);
		if (!live)
			return -1;
		problems = round_once(d, live, &acted, err);
		if (problems < 0 || (!problems && !acted))
			break;
		if (d->dropped_caches) {
			if (now_ns() >= deadline)
				break;		/* nothing more to try */
			if (acted)
				continue;	/* re-check what the repins changed */
			if (getenv("OVLMIG_DEBUG"))
				fprintf(stderr, "ovlmig detach: waiting for FORGETs: %zu left\n",
					json_object_size(d->blocked));
			if (control_invalidate(d->run, err) < 0) {
				problems = -1;
				break;
			}
			continue;
		}
		if (acted && r + 1 < MAX_ROUNDS)
			continue;	/* re-check what the repins changed */
		if (!problems)
			break;
		if (getenv("OVLMIG_DEBUG")) {
			char *what = json_dumps(d->blocked, JSON_COMPACT);

			fprintf(stderr, "ovlmig detach: still cached: %s\n", what ? what : "?");
			free(what);
		}
		if (drop_dentry_caches(d, err) < 0) {
			problems = -1;
			break;
		}
		deadline = now_ns() + FORGET_WAIT_NS;
		if (getenv("OVLMIG_DEBUG"))
			fprintf(stderr, "ovlmig detach: dropped dentry caches\n");
	}
	json_decref(live);
	if (problems < 0)
		return -1;
	return problems ? 1 : 0;
}

static void report_blocked(struct detach *d)
{
	const char *path;
	json_t *why;
	size_t i;

	fprintf(stderr, "ovlmig detach %s: not detaching: these still need the lower:\n",
		d->s->target);
	json_object_foreach(d->blocked, path, why) {
		fprintf(stderr, "  %s: %s\n", path, json_string_value(why));
		for (i = 0; i < d->nholders; i++)
			if (!strcmp(d->holders[i].path, path + 1))
				fprintf(stderr, "    held by pid %d (%s) %s%s\n",
					(int)d->holders[i].pid, d->holders[i].comm,
					d->holders[i].what,
					d->holders[i].writing ? " for writing" : "");
	}
}

/* Running binaries could not be copied up by migrate: copy-up or repin. */
static int finish_deferred(struct detach *d, struct error **err)
{
	char *path = path_join(d->dir, "deferred"), *line = NULL;
	size_t cap = 0;
	ssize_t len;
	FILE *f;
	int ret = 0;

	if (!path)
		return error_set(err, ENOMEM, "deferred list");
	f = fopen(path, "re");
	free(path);
	if (!f)
		return 0;
	while (ret == 0 && (len = getline(&line, &cap, f)) > 0) {
		struct error *why = NULL;
		const char *name;
		struct stat st;
		int dirfd, rc;

		line[len - 1] = line[len - 1] == '\n' ? '\0' : line[len - 1];
		if (!*line || !image_file_at(&d->tree, line, &why)) {
			repin_log_skipped(&why);
			continue;	/* gone or replaced meanwhile */
		}
		dirfd = beneath_parent(d->rootfd, line, &name);
		if (dirfd < 0)
			continue;	/* changed since: gone from here */
		if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    copyup_entry(dirfd, name, &st) == -ETXTBSY) {
			rc = repin_image_file_in(&d->tree, dirfd, name, line, err);
			ret = rc < 0 ? -1 : 0;
			d->repinned += rc == 0;
		}
		close(dirfd);
	}
	free(line);
	fclose(f);
	return ret;
}

/*
 * A lower ovlmig did not start has no server to ask what the kernel
 * holds: drop the caches, then repin whatever processes still hold
 * through the image (from /proc), then shut it down if asked.
 */
/*
 * Repin every image file a process holds (from /proc), whatever any
 * server says: the way when no server can tell what the kernel holds.
 */
static int repin_holders(struct detach *d, struct error **err)
{
	size_t i, j;

	holders_free(d->holders, d->nholders);
	d->holders = NULL;
	d->nholders = 0;
	if (holders_find(d->s->target, &d->holders, &d->nholders) < 0)
		return error_set(err, errno, "scan /proc");
	for (i = 0; i < d->nholders; i++) {
		const char *rel = d->holders[i].path;
		struct error *why = NULL;
		bool seen = false;
		int rc;

		for (j = 0; j < i; j++)
			seen |= !strcmp(d->holders[j].path, rel);
		if (seen || !*rel || !image_file_at(&d->tree, rel, &why)) {
			repin_log_skipped(&why);
			continue;
		}
		if (holders_writing(d->holders, d->nholders, rel)) {
			json_object_set_new(d->blocked, rel,
				json_string("open for writing: cannot repin"));
			continue;
		}
		rc = repin_image_file(&d->tree, rel, err);
		if (rc < 0)
			return -1;
		d->repinned += rc == 0;
	}
	if (json_object_size(d->blocked)) {
		report_blocked(d);
		return error_set(err, EBUSY, "processes hold files only the lower can serve");
	}
	return 0;
}

static int detach_mounted(struct detach *d, struct error **err)
{
	if (drop_dentry_caches(d, err) < 0 || repin_holders(d, err) < 0)
		return -1;
	if (d->s->shutdown_lower && lower_shutdown(d->s->lower, err) < 0)
		return -1;
	if (umount2(d->s->lower, MNT_DETACH) < 0)
		return error_set(err, errno, "unmount lower %s", d->s->lower);
	return 0;
}

/* A lowerfs that took over a crashed one's connection never saw the
 * lookups made before: its live list is incomplete. */
static bool lower_taken_over(struct detach *d)
{
	struct error *err = NULL;
	json_t *st = control_stats(d->run, &err);
	bool yes = json_is_true(json_object_get(st, CONTROL_KEY_TAKEN_OVER));

	json_decref(st);
	error_free(&err);
	return yes;
}

/* OVLMIG_DEBUG=1: how long each step of a detach took, on stderr. */
static void step_done(const char *what, uint64_t *t0)
{
	uint64_t t = now_ns();

	if (getenv("OVLMIG_DEBUG"))
		fprintf(stderr, "ovlmig detach: %s: %.3f s\n", what,
			(double)(t - *t0) / 1e9);
	*t0 = t;
}

static int detach_run(struct detach *d, struct error **err)
{
	uint64_t t0 = now_ns();
	struct stat st;
	int rc;

	/*
	 * lowerfs is gone: a detach killed after its abort (or lowerfs died).
	 * Nothing can be asked any more and migration is complete: abort
	 * whatever connection is left and finish the bookkeeping.
	 */
	if (d->s->own_lower && !lower_alive(d->s)) {
		if (mount_devno(d->s->lower, &st.st_dev) == 0) {
			struct error *ignored = NULL;

			fusectl_abort(st.st_dev, &ignored);
			error_free(&ignored);
		}
		lower_stop(d->s);
		goto detached;
	}
	if (stat(d->s->lower, &st) < 0)
		return error_set(err, errno, "stat lower %s", d->s->lower);
	if (finish_deferred(d, err) < 0)
		return -1;
	if (!d->s->own_lower) {
		if (detach_mounted(d, err) < 0)
			return -1;
		goto detached;
	}
	rc = settle(d, err);
	step_done("settle (invalidate, repin, re-check)", &t0);
	if (rc < 0)
		return -1;
	if (rc == 0 && lower_taken_over(d)) {
		if (!d->dropped_caches && drop_dentry_caches(d, err) < 0)
			return -1;
		if (repin_holders(d, err) < 0)
			return -1;
	}
	if (rc > 0) {
		report_blocked(d);
		return error_set(err, EBUSY, "processes hold files only the lower can serve");
	}
	if (fusectl_abort(st.st_dev, err) < 0)
		return -1;
	step_done("abort", &t0);
	lower_stop(d->s);
	step_done("stop lowerfs", &t0);
detached:
	return detached_finish(d->dir, d->s, err);
}

int detach_mount(const char *dir, struct mount_state *s, bool wait,
		 struct error **err)
{
	struct detach d = { .dir = dir, .s = s, .rootfd = -1, .metafd = -1 };
	char *metapath = NULL;
	int ret = -1;

	if (s->phase == PHASE_DETACHED) {
		printf("%s: already detached\n", s->target);
		return 0;
	}
	/*
	 * Measured with the unionmount-testsuite: with xino active, O_EXCL
	 * creates over migrated files still reach the data layer after the
	 * abort (ESTALE). Refuse rather than break the container.
	 */
	if (mount_has_option(s->target, "xino", "on"))
		return error_set(err, EOPNOTSUPP,
				 "xino=on is active on %s: detaching would give processes ESTALE; "
				 "mount without --xino to detach", s->target);
	if (migrate_first(dir, s, wait, migrate_run, &(struct migrate_opts){ .jobs = 2 },
			  NULL, err) < 0)
		return -1;
	d.run = lower_run_dir(dir);
	d.blocked = json_object();
	d.rootfd = open(s->target, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (!d.run || !d.blocked || d.rootfd < 0) {
		error_set(err, errno ? errno : ENOMEM, "open %s", s->target);
		goto out;
	}
	/* a tree, or the store's image file: mounted again for this read */
	if (!s->meta) {
		error_set(err, EINVAL, "%s: no metadata layer in its state", s->target);
		goto out;
	}
	if (meta_open(s->meta, &d.metafd, &metapath, err) < 0)
		goto out;
	d.tree = (struct image_tree){ d.rootfd, d.metafd, metapath };
	if (repin_journal(d.rootfd, dir, err) < 0 || detach_run(&d, err) < 0)
		goto out;
	repin_journal_done();
	printf("%s: detached (%u files repinned%s); %s\n", s->target, d.repinned,
	       d.dropped_caches ? ", kernel dentry caches dropped" : "",
	       s->own_lower ? "lowerfs stopped, cache deleted" :
	       s->shutdown_lower ? "lower shut down and unmounted" : "lower unmounted");
	ret = 0;
out:
	holders_free(d.holders, d.nholders);
	json_decref(d.blocked);
	if (d.rootfd >= 0)
		close(d.rootfd);
	if (d.metafd >= 0)
		close(d.metafd);
	free(metapath);
	free(d.run);
	return ret;
}
