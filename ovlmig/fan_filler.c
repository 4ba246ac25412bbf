// SPDX-License-Identifier: MIT
#include "fan_filler.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../common/util.h"
#include "fan_fill.h"
#include "fan_group.h"
#include "fan_holes.h"
#include "fan_kernel.h"
#include "state.h"
#include "store.h"

struct filler {
	struct mount_state s;
	struct image_handle *h;
	struct data_paths dp;
	struct fan_holes holes;
	struct fan_fill_ctx ctx;
	int g, tree, store, holesfd;
};

/* STATE_DIR/filler.lock held for life, and filler.pid written. */
static int claim(const char *state_dir, struct error **err)
{
	char *lock = path_join(state_dir, FAN_FILLER_LOCK);
	char *pid = path_join(state_dir, FAN_FILLER_PID);
	int fd = lock ? open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600) : -1;
	FILE *f = NULL;
	int ret = -1;

	if (!lock || !pid) {
		error_set(err, ENOMEM, "%s", state_dir);
		goto out;
	}
	if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0) {
		error_set(err, errno, "%s%s", lock,
			  errno == EWOULDBLOCK ? ": a filler runs already" : "");
		goto out;
	}
	fd = -1;	/* held until exit */
	f = fopen(pid, "we");
	if (!f || fprintf(f, "%ld\n", (long)getpid()) < 0 || fclose(f) != 0) {
		error_set(err, errno ? errno : EIO, "write %s", pid);
		f = NULL;
		goto out;
	}
	f = NULL;
	ret = 0;
out:
	if (f)
		fclose(f);
	if (fd >= 0)
		close(fd);
	free(lock);
	free(pid);
	return ret;
}

/* Marks on the root filesystem are never placed: the store needs its own. */
static int check_not_root(int storefd, const char *store, struct error **err)
{
	struct stat a, b;

	if (fstat(storefd, &a) < 0 || stat("/", &b) < 0)
		return error_set(err, errno, "stat %s", store);
	if (a.st_dev == b.st_dev)
		return error_set(err, EINVAL,
				 "image store %s is on the root filesystem: --fill fanotify needs a store "
				 "on a filesystem of its own (ext4 or XFS: --store)", store);
	return 0;
}

/* The store on a mount of the filler's own, silent for its group. */
static int own_mount(struct filler *f, struct error **err)
{
	f->tree = (int)syscall(SYS_open_tree, AT_FDCWD, f->s.store,
			       OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	if (f->tree < 0)
		return error_set(err, errno, "open_tree %s", f->s.store);
	f->store = openat(f->tree, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (f->store < 0)
		return error_set(err, errno, "open %s", f->s.store);
	if (check_not_root(f->store, f->s.store, err) < 0 ||
	    fan_ignore_mount(f->g, f->tree, err) < 0)
		return -1;
	if (mkdirat(f->store, FAN_HOLES_DIR, 0700) < 0 && errno != EEXIST)
		return error_set(err, errno, "create %s/%s", f->s.store, FAN_HOLES_DIR);
	f->ctx.datafd = openat(f->store, "data", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	f->holesfd = openat(f->store, FAN_HOLES_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (f->ctx.datafd < 0 || f->holesfd < 0)
		return error_set(err, errno, "open %s/data and %s", f->s.store, FAN_HOLES_DIR);
	f->ctx.mntfd = f->store;
	return 0;
}

static int setup(struct filler *f, const char *state_dir, struct error **err)
{
	int use;

	if (state_load(state_dir, &f->s, err) < 0)
		return -1;
	if (!f->s.store)
		return error_set(err, EINVAL, "%s: no image store in its state", f->s.target);
	if (claim(state_dir, err) < 0)
		return -1;
	if (store_use_lock(f->s.store, false, &use, err) < 0)
		return -1;	/* held until exit */
	if (store_open_image(&f->s, &f->h, err) < 0 ||
	    data_paths_build(image_tree(f->h), &f->dp, err) < 0 ||
	    fan_group_open(&f->g, err) < 0 || own_mount(f, err) < 0)
		return -1;
	if (fan_holes_lay(f->g, f->ctx.datafd, f->holesfd, image_tree(f->h), &f->dp,
			  &f->holes, err) < 0)
		return error_wrap(err, "image store %s", f->s.store);
	f->ctx.h = f->h;
	f->ctx.dp = &f->dp;
	f->ctx.g = f->g;
	return 0;
}

/* One permission event answered: filled first if it is an unfilled placeholder. */
static void handle(struct filler *f, const struct fanotify_event_metadata *e)
{
	struct error *err = NULL;
	struct fan_hole *hole;
	struct stat st;
	bool allow = true;

	if (fstat(e->fd, &st) < 0) {
		fprintf(stderr, "ovlmig fanfill: event fd: %s\n", strerror(errno));
		allow = false;
	} else if ((hole = fan_holes_find(&f->holes, st.st_dev, st.st_ino)) && !hole->filled) {
		if (fan_fill(&f->ctx, e->fd, hole->node, &err) < 0) {
			error_report(&err, "ovlmig fanfill", stderr);
			allow = false;
		} else {
			hole->filled = true;
		}
	}
	if (fan_respond(f->g, e->fd, allow) < 0)
		fprintf(stderr, "ovlmig fanfill: answer an event: %s\n", strerror(errno));
}

static int serve(struct filler *f, struct error **err)
{
	char buf[16384] __attribute__((aligned(__alignof__(struct fanotify_event_metadata))));
	const struct fanotify_event_metadata *e;
	ssize_t n;

	for (;;) {
		n = read(f->g, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return error_set(err, n < 0 ? errno : EIO, "read fanotify events");
		for (e = (void *)buf; FAN_EVENT_OK(e, n); e = FAN_EVENT_NEXT(e, n)) {
			if (e->vers != FANOTIFY_METADATA_VERSION)
				return error_set(err, EPROTO, "fanotify event version %u", e->vers);
			if (e->fd < 0)
				continue;
			handle(f, e);
			close(e->fd);
		}
	}
}

static void close_fd(int fd)
{
	if (fd >= 0)
		close(fd);
}

int fan_filler_run(const char *state_dir, struct error **err)
{
	struct filler f = { .g = -1, .tree = -1, .store = -1, .holesfd = -1,
			    .ctx = { .mntfd = -1, .datafd = -1 } };
	int ret;

	if (setup(&f, state_dir, err) < 0) {
		dprintf(FAN_FILLER_READY_FD, "%s\n", (*err)->msg);
		ret = -1;
	} else {
		fprintf(stderr, "ovlmig fanfill: %zu placeholders marked in %s\n",
			f.holes.n, f.s.store);
		if (dprintf(FAN_FILLER_READY_FD, "ok\n") < 0 ||
		    close(FAN_FILLER_READY_FD) < 0)
			fprintf(stderr, "ovlmig fanfill: say ready: %s\n", strerror(errno));
		ret = serve(&f, err);
	}
	fan_holes_free(&f.holes);
	data_paths_free(&f.dp);
	image_close(f.h);
	close_fd(f.ctx.datafd);
	close_fd(f.holesfd);
	close_fd(f.store);
	close_fd(f.tree);
	close_fd(f.g);
	state_free(&f.s);
	return ret;
}
