// SPDX-License-Identifier: MIT
/*
 * The store strategy: one local copy of each image, shared by all its
 * containers (store.h). The overlay is
 *   lowerdir+=META, datadir+=STORE/data, datadir+=LOWERFS
 * (META: STORE/meta.erofs mounted file-backed; no LOWERFS at all for an
 * image the store holds whole) so a file resolves to the store if it is
 * there at its first open, to the lazy layer otherwise. Migration fills the store instead of copying
 * into each upper; detach gets the overlay inodes that still resolve to
 * the lazy layer evicted (then they resolve to the store), repins only
 * what processes hold, and aborts the lazy layer (detach.c does that
 * part as for datadir). auto picks it where the kernel can run it and
 * the mount names an image (strategy.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../common/util.h"
#include "../image/image.h"
#include "cache_dir.h"
#include "detach.h"
#include "detached.h"
#include "fan_holes.h"
#include "fan_migrate.h"
#include "fan_spawn.h"
#include "lower.h"
#include "lowerfs_exec.h"
#include "meta.h"
#include "overlay.h"
#include "progress.h"
#include "store.h"
#include "store_uppers.h"
#include "strategy.h"

/*
 * Data-only layers for META::STORE::LAZY, and FUSE passthrough: a file
 * the store holds is served from there, and detach aborts the lazy
 * layer under files processes hold open, which read on after it only
 * because their reads go to a local file. Without passthrough auto falls
 * back to datadir, as on every kernel before store was the default.
 */
static bool store_probe(const struct overlay_features *f)
{
	return f->data_layers && f->fuse_passthrough;
}

/* Is the store of S filled by fanotify (fan_filler.h), not by lowerfs? */
static bool fan_fill(const struct mount_state *s)
{
	return s->fill && !strcmp(s->fill, "fanotify");
}

/*
 * META over the store's data, then the lazy layer (if still there), or
 * the store's placeholders when fanotify fills it (fan_holes.h).
 * META is the store's image file mounted file-backed and attached
 * nowhere (MFD, or mounted here if -1): the overlay keeps it alive, so
 * umount, detach and a kill -9 leave nothing of it mounted. A store
 * made before there was an image has its META as a tree.
 */
static int mount_overlay(struct mount_state *s, int mfd, const char *xino,
			 struct error **err)
{
	char *data = path_join(s->store, "data"), meta[32];
	char *holes = fan_fill(s) ? path_join(s->store, FAN_HOLES_DIR) : NULL;
	const char *datas[] = { data, holes ? holes : s->lower };
	struct stat st;
	int ret = -1, own = -1;

	if (!data || (fan_fill(s) && !holes)) {
		error_set(err, ENOMEM, "mount %s", s->target);
		goto out;
	}
	if (mfd < 0 && stat(s->meta, &st) < 0) {
		error_set(err, errno, "metadata layer %s", s->meta);
		goto out;
	}
	if (mfd < 0 && !S_ISDIR(st.st_mode)) {
		if (meta_mount_erofs(s->meta, &own, err) < 0)
			goto out;
		mfd = own;
	}
	if (mfd >= 0)
		snprintf(meta, sizeof(meta), "/proc/self/fd/%d", mfd);
	ret = overlay_mount_meta(mfd >= 0 ? meta : s->meta, datas, datas[1] ? 2 : 1,
				 s->upper, s->work, xino, s->target, err);
out:
	if (own >= 0)
		close(own);
	free(holes);
	free(data);
	return ret;
}

/*
 * *MFD: the store's META image mounted, S->meta naming it; or, if the
 * kernel refuses a file-backed EROFS, -1 and S->meta the same layer as
 * a tree (built now if missing, from *H: opened now if not yet), said
 * in one line.
 */
static int store_meta(struct mount_state *s, struct image_handle **h, int *mfd,
		      struct error **err)
{
	struct error *why = NULL;

	free(s->meta);
	s->meta = path_join(s->store, STORE_META_IMAGE);
	if (!s->meta)
		return error_set(err, ENOMEM, "mount %s", s->target);
	if (meta_mount_erofs(s->meta, mfd, &why) == 0)
		return 0;
	fprintf(stderr, "ovlmig mount: %s; the metadata layer is a directory tree instead\n",
		why->msg);
	error_free(&why);
	free(s->meta);
	s->meta = path_join(s->store, STORE_META_TREE);
	if (!s->meta)
		return error_set(err, ENOMEM, "mount %s", s->target);
	if (!*h && store_open_image(s, h, err) < 0)
		return -1;
	return store_meta_tree(s->store, *h, err);
}

/*
 * lowerfs started now, not waited for, unless one was started early, the
 * store is filled by fanotify (no lowerfs at all) or the image is
 * complete (ROOT's image of H, if H: then its indexes are in the cache,
 * so lowerfs fetches nothing twice).
 */
static int start_lower(struct mount_state *s, const struct image_handle *h,
		       pid_t *child, struct error **err)
{
	char *dir;
	int ret;

	if (*child || !s->own_lower || fan_fill(s) ||
	    (h && store_image_complete(s->store_root, h)))
		return 0;
	dir = state_dir(s->name);
	if (!dir)
		return error_set(err, ENOMEM, "mount %s", s->target);
	ret = lower_spawn(s, dir, child, err);
	free(dir);
	return ret;
}

/*
 * lowerfs indexes the image at its start, as image_open does here: for
 * a dir: source both walk the whole tree. Started first, it does that
 * while this process opens the image and builds META, unless the store
 * already holds this source's image whole (a guess: store.h), which
 * then needs no lowerfs at all. Local sources only: for a remote one
 * both processes would fetch what has no index yet (indexes, or whole
 * layers streamed to build them) over the link, where one fetch is the
 * rule (the second process finds the first one's in the cache).
 * *CHILD: 0 if none was started.
 */
static int early_lower(struct mount_state *s, pid_t *child, struct error **err)
{
	*child = 0;
	if (!s->own_lower || strstr(s->source, "://") ||
	    store_source_complete(s->store_root, s->source))
		return 0;
	return start_lower(s, NULL, child, err);
}

/* The lowerfs started early mounted (or failed) and recorded. */
static int lower_ready(struct mount_state *s, pid_t child, struct error **err)
{
	char *dir = state_dir(s->name);
	int ret;

	if (!dir) {
		/* reaped all the same: undo finds it by its pid file */
		while (waitpid(child, NULL, 0) < 0 && errno == EINTR)
			;
		return error_set(err, ENOMEM, "mount %s", s->target);
	}
	ret = lower_wait(s, dir, child, err) < 0 || state_save(dir, s, err) < 0 ? -1 : 0;
	free(dir);
	return ret;
}

/*
 * A lowerfs started early for an image that turned out complete (the
 * guess missed: another reference to it): stopped. Its run directory
 * stays in the state directory until umount, as after a detach.
 */
static void drop_lower(struct mount_state *s, pid_t child)
{
	struct error *err = NULL;

	if (lower_ready(s, child, &err) < 0)
		error_free(&err);
	lower_stop(s);
	s->lowerfs_pid = 0;
}

/*
 * The lazy layer, only for an image the store does not hold whole yet
 * (and recorded, so that umount can stop it after a kill): the one
 * started early (*CHILD, then 0), else started now. A complete image
 * needs none: no lowerfs, no cache for it.
 */
static int need_lower(struct mount_state *s, pid_t *child, struct error **err)
{
	bool complete = store_complete(s->store);
	pid_t early = *child;
	char *dir;
	int ret;

	*child = 0;
	if (!s->own_lower)
		return 0;
	if (complete || fan_fill(s)) {
		if (early)
			drop_lower(s, early);
		if (!complete) {
			/* the cache stays: the filler's chunk and index cache */
			free(s->lower);
			s->lower = NULL;
			s->own_lower = false;
			return 0;
		}
		free(s->fill);		/* complete: nothing to fill */
		free(s->fill_reason);
		s->fill = s->fill_reason = NULL;
		if (s->cache && cache_dir_release(s->cache, err) < 0)
			return error_wrap(err, "mount %s", s->target);
		free(s->cache);
		free(s->lower);
		s->cache = s->lower = NULL;
		s->own_lower = false;
		return 0;
	}
	if (early)
		return lower_ready(s, early, err);
	dir = state_dir(s->name);
	if (!dir)
		return error_set(err, ENOMEM, "mount %s", s->target);
	ret = lower_start(s, dir, err) < 0 || state_save(dir, s, err) < 0 ? -1 : 0;
	free(dir);
	return ret;
}

#define DBG "ovlmig mount (store)"

/*
 * The fanotify filler of this mount, its placeholders laid and marked
 * before the overlay can open one (it reads the state saved here).
 */
static int start_filler(struct mount_state *s, struct error **err)
{
	char *dir = state_dir(s->name);
	int ret;

	if (!dir)
		return error_set(err, ENOMEM, "mount %s", s->target);
	ret = state_save(dir, s, err) < 0 || fan_filler_start(dir, err) < 0 ? -1 : 0;
	free(dir);
	return ret;
}

static void stop_filler(struct mount_state *s)
{
	char *dir = state_dir(s->name);

	if (dir)
		fan_filler_stop(dir);
	free(dir);
}

/*
 * The store entry of S's image: found by its manifest digest alone if a
 * container built it before (*H stays NULL, ROOTATTRS the image root's),
 * else the image opened and the entry made (META built once).
 */
static int store_entry(struct mount_state *s, struct image_handle **h,
		       struct image_node *rootattrs, pid_t *child,
		       uint64_t *t0, struct error **err)
{
	char *dir = NULL;

	if (store_find(s->store_root, s, &dir, rootattrs, err) < 0)
		return -1;
	if (dir) {
		free(s->store);
		s->store = dir;
		debug_step(DBG, "store entry found by manifest digest (image not opened)", t0);
		if (!store_complete(dir) && start_lower(s, NULL, child, err) < 0)
			return -1;
		debug_step(DBG, *child ? "lowerfs started (not waited for)" : "no lowerfs", t0);
		return 0;
	}
	if (store_open_image(s, h, err) < 0)
		return -1;
	debug_step(DBG, "image opened in-process", t0);
	if (start_lower(s, *h, child, err) < 0)
		return -1;
	debug_step(DBG, *child ? "lowerfs started (not waited for)" : "no lowerfs started", t0);
	if (store_prepare(s->store_root, *h, s->source, &dir, err) < 0)
		return -1;
	free(s->store);
	s->store = dir;
	debug_step(DBG, "store entry (id, META built if missing)", t0);
	return 0;
}

static int store_mount(struct mount_state *s, bool fresh_upper,
		       const char *xino, struct error **err)
{
	struct image_handle *h = NULL;
	struct image_node rootattrs;
	struct image one = { .nodes = &rootattrs, .count = 1 };
	uint64_t t0 = now_ns();
	pid_t child = 0;
	int mfd = -1, ret = -1;

	if (!fan_fill(s) && early_lower(s, &child, err) < 0)
		goto out;
	debug_step(DBG, child ? "lowerfs started early (not waited for)" : "no early lowerfs", &t0);
	if (store_entry(s, &h, &rootattrs, &child, &t0, err) < 0)
		goto out;
	/* while lowerfs starts: what does not need it */
	if (store_meta(s, &h, &mfd, err) < 0)
		goto out;
	debug_step(DBG, "META mounted", &t0);
	/* the container needs its image until its upper is deleted */
	if (store_upper_add(s->store, s->upper, err) < 0)
		goto out;
	if (fresh_upper && meta_apply_root(h ? image_tree(h) : &one, s->upper, err) < 0)
		goto out;
	debug_step(DBG, "upper recorded", &t0);
	if (need_lower(s, &child, err) < 0)
		goto out;
	debug_step(DBG, "lowerfs mounted (waited for)", &t0);
	lowerfs_feed_store(s, s->store);
	debug_step(DBG, "store fed", &t0);
	if (fan_fill(s) && start_filler(s, err) < 0)
		goto out;
	ret = mount_overlay(s, mfd, xino, err);
	debug_step(DBG, "overlay mounted", &t0);
	if (ret < 0 && fan_fill(s))
		stop_filler(s);
	/*
	 * Over a complete store it is what detach makes: nothing to migrate,
	 * and the record detach would write, so that a later mount of this
	 * upper (after umount, a reboot) needs neither lowerfs nor the source.
	 */
	if (ret == 0 && !s->lower && !fan_fill(s)) {
		s->phase = PHASE_DETACHED;
		if (detached_record_write(s, err) < 0) {
			umount2(s->target, MNT_DETACH);
			ret = -1;
		}
	}
out:
	if (child > 0) {
		/* a failure before it was needed: reaped, the caller stops it */
		struct error *ignored = NULL;

		lower_ready(s, child, &ignored);
		error_free(&ignored);
	}
	if (mfd >= 0)
		close(mfd);
	image_close(h);
	return ret;
}

/* META and the store's data: everything a detached container needs. */
static int store_remount(struct mount_state *s, const char *state_dir,
			 const char *xino, struct error **err)
{
	char *slash = strrchr(s->meta, '/');

	free(s->store);
	s->store = slash ? strndup(s->meta, (size_t)(slash - s->meta)) : NULL;
	if (!s->store)
		return error_set(err, ENOMEM, "mount %s", s->target);
	if (state_save(state_dir, s, err) < 0)
		return -1;
	return mount_overlay(s, -1, xino, err);
}

/*
 * migrate fetches in-process: its fetches wait out an outage of the
 * source for the grace period, as lowerfs' readers do; say so once.
 */
static void say_outage(void *arg, bool down, const char *why)
{
	const char *target = arg;

	if (down)
		fprintf(stderr, "ovlmig: %s: waiting for the source: unreachable (%s)\n",
			target, why);
	else
		fprintf(stderr, "ovlmig: %s: the source is back, going on\n", target);
}

static int store_migrate(const char *dir, struct mount_state *s,
			 const struct migrate_opts *o, struct error **err)
{
	struct migrate_opts fill = { .jobs = o->jobs ? o->jobs : store_fill_jobs(s->source),
				     .bandwidth_bps = o->bandwidth_bps };
	struct image_handle *h = NULL;
	struct progress p;
	uint64_t t0 = now_ns();
	int ret = -1;

	if (!s->store)
		return error_set(err, EINVAL, "%s: no image store in its state", s->target);
	if (fan_fill(s) && !fan_filler_alive(dir))
		return error_set(err, ESRCH, "%s: the fanotify filler is not running (see %s/filler.log)",
				 s->target, dir);
	progress_init(&p, dir, 0, 0);
	if (s->phase != PHASE_MIGRATED && state_set_phase(dir, s, PHASE_MIGRATING, err) < 0)
		return -1;
	if (store_open_image_waiting(s, say_outage, (void *)s->target, &h, err) < 0)
		return -1;
	if (getenv("OVLMIG_DEBUG"))
		fprintf(stderr, "ovlmig migrate: open the image: %.3f s\n",
			(double)(now_ns() - t0) / 1e9);
	ret = store_fill(s->store, h, s, dir, &fill, &p, err);
	/* the placeholders the overlay may hold: filled from data/ */
	if (ret == 0 && fan_fill(s))
		ret = fan_holes_complete(s->store, h, err);
	progress_finish(&p);
	image_close(h);
	if (ret < 0 || state_set_phase(dir, s, PHASE_MIGRATED, err) < 0)
		return -1;
	printf("%s: image store %s complete: %llu files, %.1f MiB in %.2f s\n",
	       s->target, s->store, (unsigned long long)p.entries_done,
	       (double)p.bytes_done / 1048576, (double)(now_ns() - t0) / 1e9);
	return 0;
}

/*
 * Filled by fanotify, migrated: data/ and every placeholder whole, so
 * the filler goes (its group and marks with it); the container's mount
 * stays as it is.
 */
static int fan_detach(const char *dir, struct mount_state *s, struct error **err)
{
	struct image_handle *h = NULL;
	int ret;

	if (store_open_image(s, &h, err) < 0)
		return -1;
	ret = fan_holes_complete(s->store, h, err);
	image_close(h);
	if (ret < 0)
		return error_wrap(err, "detach %s", s->target);
	fan_filler_stop(dir);
	if (fan_filler_alive(dir))
		return error_set(err, EBUSY, "detach %s: the fanotify filler does not stop", s->target);
	return detached_finish(dir, s, err);
}

static int store_detach(const char *dir, struct mount_state *s, bool wait,
			struct error **err)
{
	if (migrate_first(dir, s, wait, store_migrate, &(struct migrate_opts){ 0 },
			  "the image store is not filled yet", err) < 0)
		return -1;
	if (fan_fill(s))
		return fan_detach(dir, s, err);
	/*
	 * The store is complete: what the kernel still holds in the lazy
	 * layer is evicted (then resolves to the store) or repinned there.
	 */
	return detach_mount(dir, s, false, err);
}

const struct strategy strategy_store = {
	.name = "store",
	.needs = "has no data-only lower layers (datadir+, Linux >= 6.7), or FUSE has no passthrough (Linux >= 6.9)",
	.probe = store_probe,
	.uses_store = true,
	.needs_source = true,
	.starts_lower = true,
	.mount = store_mount,
	.remount = store_remount,
	.migrate = store_migrate,
	.detach = store_detach,
};
