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
#include "../image/cache.h"
#include "fan_group.h"
#include "fan_keeper.h"
#include "fan_ownfs.h"
#include "state.h"
#include "store.h"

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

/*
 * The store on a mount of the filler's own (attached nowhere: it goes
 * with the filler), silent for group G; *TREE its O_PATH fd, *STOREFD
 * the store's directory on it.
 */
static int own_mount(const char *store, int g, int *tree, int *storefd,
		     struct error **err)
{
	*tree = (int)syscall(SYS_open_tree, AT_FDCWD, store, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	if (*tree < 0)
		return error_set(err, errno, "open_tree %s", store);
	*storefd = openat(*tree, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (*storefd < 0)
		return error_set(err, errno, "open %s", store);
	if (check_not_root(*storefd, store, err) < 0 || fan_ignore_mount(g, *tree, err) < 0)
		return -1;
	return 0;
}

/*
 * One filesystem mark if the store's filesystem is its own (fan_ownfs.h),
 * placed before any placeholder is laid; else the worker marks each one.
 */
static int choose_marks(const char *store, int g, int storefd, struct fan_marks *m,
			struct error **err)
{
	bool own;

	if (fan_store_own_fs(store, &own, err) < 0 ||
	    fan_marks_init(storefd, own, m, err) < 0)
		return -1;
	if (own && fan_mark_filesystem(g, storefd, err) < 0)
		return -1;
	fprintf(stderr, "ovlmig fanfill: %s\n", own ?
		"the store's filesystem is its own: one filesystem mark" :
		"the store's filesystem is shared: an inode mark per placeholder");
	return 0;
}

/*
 * *CACHE_FD: S's cache held (image/cache.h, CACHE_IN_USE) as lowerfs
 * holds its own, for the filler's life: its workers inherit it (one open
 * file description), so it is held from before the first worker starts
 * until the keeper has reaped the last one (fan_keeper_run) and closes
 * it; filler.lock goes after it, at the keeper's exit, so a detach that
 * saw the filler stop (fan_filler_stop) finds the cache free of it.
 */
static int setup(const char *state_dir, struct mount_state *s, int *g,
		 int *tree, int *storefd, struct fan_marks *m, int *cache_fd,
		 struct error **err)
{
	int use;

	if (state_load(state_dir, s, err) < 0)
		return -1;
	if (!s->store)
		return error_set(err, EINVAL, "%s: no image store in its state", s->target);
	if (claim(state_dir, err) < 0)
		return -1;
	if (store_use_lock(s->store, false, &use, err) < 0)
		return -1;	/* held until exit */
	if (s->cache && cache_hold(s->cache, cache_fd, err) < 0)
		return error_wrap(err, "%s", s->target);
	if (fan_group_open(g, err) < 0 || own_mount(s->store, *g, tree, storefd, err) < 0 ||
	    choose_marks(s->store, *g, *storefd, m, err) < 0)
		return -1;
	return 0;
}

int fan_filler_run(const char *state_dir, struct error **err)
{
	struct mount_state s = { 0 };
	struct fan_marks m = { 0 };
	int g = -1, tree = -1, storefd = -1, cache_fd = -1, ret;

	if (setup(state_dir, &s, &g, &tree, &storefd, &m, &cache_fd, err) < 0) {
		dprintf(FAN_FILLER_READY_FD, "%s\n", (*err)->msg);
		ret = -1;
	} else {
		ret = fan_keeper_run(state_dir, &s, g, storefd, &m, FAN_FILLER_READY_FD, err);
	}
	if (storefd >= 0)
		close(storefd);
	if (tree >= 0)
		close(tree);
	if (g >= 0)
		close(g);
	/* every worker reaped: the cache is free of this filler now */
	if (cache_fd >= 0)
		close(cache_fd);
	state_free(&s);
	return ret;
}
