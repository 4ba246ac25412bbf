/* SPDX-License-Identifier: MIT */
/*
 * The filler's fanotify group (FAN_CLASS_PRE_CONTENT) and its marks: one
 * filesystem mark when the store's filesystem is its own (fan_ownfs.h),
 * else an inode mark on each placeholder; and an ignore mark on the
 * filler's own private mount of the store, so that its writes raise no
 * event.
 */
#ifndef OVLMIG_FAN_GROUP_H
#define OVLMIG_FAN_GROUP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "../common/error.h"

/* A new pre-content group; *FD. EINVAL/ENOSYS: the kernel has none. */
int fan_group_open(int *fd, struct error **err);

/* Events for the file open as FD (not O_PATH) reach group G. */
int fan_mark_file(int g, int fd, struct error **err);
/* No more events for it (filled); errors ignored: only a saving. */
void fan_unmark_file(int g, int fd);

/*
 * How the group watches the store: FS, one filesystem mark (every open
 * and read of any file there is an event: the keeper allows at once all
 * but this store's tagged placeholders, fan_tag.h), else inode marks on
 * the placeholders alone. DEV the store's filesystem, KEY the store
 * directory's inode number, which tags its placeholders.
 */
struct fan_marks {
	bool fs;
	dev_t dev;
	uint64_t key;
};

/* M for the store directory STOREFD, watched with a filesystem mark or not. */
int fan_marks_init(int storefd, bool fs, struct fan_marks *m, struct error **err);

/* Events for every file on the filesystem FD is on reach group G. */
int fan_mark_filesystem(int g, int fd, struct error **err);

/*
 * With a filesystem mark: no more events for the file open as FD until
 * its inode leaves the cache (an evictable ignore mark: it pins nothing;
 * an evicted one only costs one more quick answer). Errors ignored: only
 * a saving.
 */
void fan_ignore_file(int g, int fd);
/* ... and events for it again (it became a placeholder); none is no error. */
int fan_unignore_file(int g, int fd, struct error **err);

/* No event for what goes through the mount TREEFD (open_tree's fd). */
int fan_ignore_mount(int g, int treefd, struct error **err);

/* Answer event FD: allowed, or denied with EIO for the reader. */
int fan_respond(int g, int fd, bool allow);

#endif
