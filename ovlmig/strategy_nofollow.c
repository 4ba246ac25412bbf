// SPDX-License-Identifier: MIT
/*
 * The nofollow strategy, the design's own (kernel/README.md, "For the
 * nofollow strategy"), on a kernel with our xino=nofollow patch: the
 * overlay straight over the lazy lower, lowerdir=LOWER,xino=nofollow,
 * redirect_dir=on,metacopy=off, no metadata layer and no index. Migration
 * copies every non-directory up and lets the kernel make each complete
 * directory opaque (nofollow_walk.c); detach checks that no directory
 * still merges the lower and aborts the FUSE connection: nothing is
 * revalidated against it any more, so nothing needs repinning. A
 * detached upper is complete: it mounts again over an empty lower.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "../common/fsutil.h"
#include "../common/util.h"
#include "detached.h"
#include "fusectl.h"
#include "lower.h"
#include "nofollow_walk.h"
#include "overlay.h"
#include "progress.h"
#include "shutdown.h"
#include "strategy.h"

/* walk again until a pass finds nothing to do, at most this often */
#define MAX_PASSES 5

static bool nofollow_probe(const struct overlay_features *f)
{
	return f->xino_nofollow;
}

static int mount_over(struct mount_state *s, const char *lower,
		      const char *xino, struct error **err)
{
	const char *opts[] = { "xino=nofollow", "redirect_dir=on", "metacopy=off" };
	const char *lowers[] = { lower };
	struct overlay_cfg c = {
		.lowers = lowers, .nlowers = 1,
		.upper = s->upper, .work = s->work,
		.options = opts, .noptions = ARRAY_SIZE(opts),
	};

	if (xino)
		return error_set(err, EINVAL, "--xino: strategy nofollow mounts xino=nofollow");
	return overlay_mount(&c, s->target, err);
}

/* The image root's xattrs on the upper root (not overlayfs' own). */
static int copy_root_xattrs(int from, int to, struct error **err)
{
	char names[65536], value[65536];
	ssize_t len = flistxattr(from, names, sizeof(names)), v;
	const char *n;

	if (len < 0)
		return errno == ENOTSUP ? 0 : error_set(err, errno, "list xattrs");
	for (n = names; n < names + len; n += strlen(n) + 1) {
		if (!strncmp(n, "trusted.overlay.", 16))
			continue;
		v = fgetxattr(from, n, value, sizeof(value));
		if (v < 0 || fsetxattr(to, n, value, (size_t)v, 0) < 0)
			return error_set(err, errno, "xattr %s", n);
	}
	return 0;
}

/*
 * The merged root is the upper directory itself: a fresh upper gets the
 * image root's owner, mode, xattrs and times (only the root is looked at:
 * mounting stays instant).
 */
static int apply_root(const char *lower, const char *upper, struct error **err)
{
	int lfd = open(lower, O_RDONLY | O_DIRECTORY | O_CLOEXEC), ufd = -1, ret = -1;
	struct stat st;

	if (lfd < 0 || fstat(lfd, &st) < 0) {
		error_set(err, errno, "%s", lower);
		goto out;
	}
	ufd = open(upper, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (ufd < 0) {
		error_set(err, errno, "%s", upper);
		goto out;
	}
	if (fchown(ufd, st.st_uid, st.st_gid) < 0 ||
	    fchmod(ufd, st.st_mode & 07777) < 0) {
		error_set(err, errno, "%s", upper);
		goto out;
	}
	if (copy_root_xattrs(lfd, ufd, err) < 0)
		goto out;
	/* last: the xattrs changed its ctime, not its mtime */
	if (futimens(ufd, (struct timespec[2]){ st.st_atim, st.st_mtim }) < 0) {
		error_set(err, errno, "%s", upper);
		goto out;
	}
	ret = 0;
out:
	if (ret < 0)
		error_wrap(err, "root attributes of the image");
	if (lfd >= 0)
		close(lfd);
	if (ufd >= 0)
		close(ufd);
	return ret;
}

static int nofollow_mount(struct mount_state *s, bool fresh_upper,
			  const char *xino, struct error **err)
{
	if (fresh_upper && apply_root(s->lower, s->upper, err) < 0)
		return -1;
	return mount_over(s, s->lower, xino, err);
}

/*
 * Every directory of the upper is opaque, the root too: any lower is
 * hidden. An empty one in the state directory stands in.
 */
static int nofollow_remount(struct mount_state *s, const char *state_dir,
			    const char *xino, struct error **err)
{
	char *empty = path_join(state_dir, "empty");
	int ret = -1;

	if (!empty)
		return error_set(err, ENOMEM, "mount");
	if (mkdir(empty, 0700) < 0 && errno != EEXIST)
		error_set(err, errno, "create %s", empty);
	else
		ret = mount_over(s, empty, xino, err);
	free(empty);
	return ret;
}

/* The overlay, its upper and its lower, opened for a walk. */
static int open_roots(const struct mount_state *s, struct nofollow_walk *w,
		      struct error **err)
{
	w->ovl = open(s->target, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	w->up = open(s->upper, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	w->low = open(s->lower, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (w->ovl < 0 || w->up < 0 || w->low < 0)
		return error_set(err, errno, "open %s", w->ovl < 0 ? s->target :
				 w->up < 0 ? s->upper : s->lower);
	return 0;
}

static void close_roots(struct nofollow_walk *w)
{
	if (w->ovl >= 0)
		close(w->ovl);
	if (w->up >= 0)
		close(w->up);
	if (w->low >= 0)
		close(w->low);
}

static int nofollow_migrate(const char *dir, struct mount_state *s,
			    const struct migrate_opts *o, struct error **err)
{
	struct link_emulation limit = { .bandwidth_bps = o->bandwidth_bps };
	struct nofollow_walk w = { .ovl = -1, .up = -1, .low = -1, .limit = &limit };
	uint64_t entries, bytes, copied = 0, relinked = 0;
	struct progress prog;
	unsigned pass;
	int ret = -1;

	pthread_mutex_init(&limit.lock, NULL);
	migrate_totals(dir, &entries, &bytes);
	progress_init(&prog, dir, entries, bytes);
	if (s->phase != PHASE_MIGRATED && state_set_phase(dir, s, PHASE_MIGRATING, err) < 0)
		goto out;
	if (open_roots(s, &w, err) < 0)
		goto out;
	for (pass = 1; pass <= MAX_PASSES; pass++) {
		w.prog = pass == 1 ? &prog : NULL;
		if (nofollow_walk_pass(&w, err) < 0)
			goto out;
		copied += w.copied;
		relinked += w.relinked;
		if (!w.copied && !w.relinked && !w.not_opaque)
			break;
	}
	progress_finish(&prog);
	if (pass > MAX_PASSES) {
		error_set(err, EAGAIN, "after %u passes, %llu directories still merge the lower (e.g. /%s)",
			  MAX_PASSES, (unsigned long long)w.not_opaque,
			  w.not_opaque_at ? w.not_opaque_at : "");
		goto out;
	}
	if (state_set_phase(dir, s, PHASE_MIGRATED, err) < 0)
		goto out;
	printf("%s: migrated %llu entries, %.1f MiB: %llu copied up, %llu hardlinks relinked; "
	       "every directory opaque after %u passes\n", s->target,
	       (unsigned long long)prog.entries_done, (double)prog.bytes_done / 1048576,
	       (unsigned long long)copied, (unsigned long long)relinked, pass);
	ret = 0;
out:
	close_roots(&w);
	nofollow_walk_free(&w);
	pthread_mutex_destroy(&limit.lock);
	return ret;
}

/* Is the migration complete: nothing left below, no directory merged? */
static int check_complete(struct mount_state *s, struct error **err)
{
	struct nofollow_walk w = { .ovl = -1, .up = -1, .low = -1, .check_only = true };
	int ret = -1;

	if (open_roots(s, &w, err) < 0 || nofollow_walk_pass(&w, err) < 0)
		goto out;
	if (w.left || w.not_opaque) {
		error_set(err, EAGAIN, "migration is not complete (%llu entries not copied up, %llu directories "
			  "still merge the lower, e.g. /%s): run ovlmig migrate again, or detach --wait",
			  (unsigned long long)w.left, (unsigned long long)w.not_opaque,
			  w.not_opaque_at ? w.not_opaque_at : "");
		goto out;
	}
	ret = 0;
out:
	close_roots(&w);
	nofollow_walk_free(&w);
	return ret;
}

/* Take the lower away: abort lowerfs' connection, or unmount a given one. */
static int drop_lower(struct mount_state *s, struct error **err)
{
	dev_t dev;

	if (!s->own_lower) {
		if (s->shutdown_lower && lower_shutdown(s->lower, err) < 0)
			return -1;
		if (umount2(s->lower, MNT_DETACH) < 0)
			return error_set(err, errno, "unmount lower %s", s->lower);
		return 0;
	}
	/* from the mount table: stat of an aborted FUSE mount fails */
	if (mount_devno(s->lower, &dev) == 0) {
		if (fusectl_abort(dev, err) < 0 && lower_alive(s))
			return -1;
		/* lowerfs already gone (a detach killed after its abort) */
		error_free(err);
	} else if (lower_alive(s)) {
		return error_set(err, ENOENT, "lower %s is not mounted", s->lower);
	}
	lower_stop(s);
	return 0;
}

static int nofollow_detach(const char *dir, struct mount_state *s, bool wait,
			   struct error **err)
{
	if (s->phase == PHASE_DETACHED) {
		printf("%s: already detached\n", s->target);
		return 0;
	}
	if (migrate_first(dir, s, wait, nofollow_migrate, &(struct migrate_opts){ .jobs = 1 },
			  NULL, err) < 0)
		return -1;
	/* the workload may have renamed a directory since: it merges again */
	if (check_complete(s, err) < 0) {
		struct migrate_opts o = { .jobs = 1 };

		if (!wait || (*err)->errnum != EAGAIN)
			return -1;
		error_free(err);
		if (nofollow_migrate(dir, s, &o, err) < 0 || check_complete(s, err) < 0)
			return -1;
	}
	if (drop_lower(s, err) < 0 || detached_finish(dir, s, err) < 0)
		return -1;
	printf("%s: detached (every directory opaque, nothing repinned); %s\n", s->target,
	       s->own_lower ? "FUSE connection aborted, lowerfs stopped, cache deleted" :
	       s->shutdown_lower ? "lower shut down and unmounted" : "lower unmounted");
	return 0;
}

const struct strategy strategy_nofollow = {
	.name = "nofollow",
	.needs = "rejects xino=nofollow (an out-of-tree patch, see kernel/)",
	.probe = nofollow_probe,
	.uses_meta = false,
	.mount = nofollow_mount,
	.remount = nofollow_remount,
	.migrate = nofollow_migrate,
	.detach = nofollow_detach,
};
