/* SPDX-License-Identifier: MIT */
/*
 * The filler's fanotify group (FAN_CLASS_PRE_CONTENT) and its marks: an
 * inode mark on each placeholder, and an ignore mark on the filler's own
 * private mount of the store, so that its writes raise no event.
 */
#ifndef OVLMIG_FAN_GROUP_H
#define OVLMIG_FAN_GROUP_H

#include <stdbool.h>

#include "../common/error.h"

/* A new pre-content group; *FD. EINVAL/ENOSYS: the kernel has none. */
int fan_group_open(int *fd, struct error **err);

/* Events for the file open as FD (not O_PATH) reach group G. */
int fan_mark_file(int g, int fd, struct error **err);
/* No more events for it (filled); errors ignored: only a saving. */
void fan_unmark_file(int g, int fd);

/* No event for what goes through the mount TREEFD (open_tree's fd). */
int fan_ignore_mount(int g, int treefd, struct error **err);

/* Answer event FD: allowed, or denied with EIO for the reader. */
int fan_respond(int g, int fd, bool allow);

#endif
