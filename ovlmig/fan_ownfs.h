/* SPDX-License-Identifier: MIT */
/*
 * Does the image store have a filesystem of its own, so that the filler
 * may watch it with one filesystem mark (fan_group.h) instead of a mark
 * per placeholder? A filesystem mark makes every open and every read of
 * any file on that filesystem wait for the filler's answer, so the rule
 * is strict, and checked, not guessed:
 *
 *   the images root (the store's parent: --store) or the store itself
 *   is the root of a mount (statx STATX_ATTR_MOUNT_ROOT) that shows the
 *   whole filesystem (its root in /proc/self/mountinfo is "/"), and that
 *   filesystem is not the root filesystem's.
 *
 * Anything else keeps inode marks. OVLMIG_FANOTIFY_MARK=inode keeps them
 * always (benches compare the two).
 */
#ifndef OVLMIG_FAN_OWNFS_H
#define OVLMIG_FAN_OWNFS_H

#include <stdbool.h>

#include "../common/error.h"

#define FAN_MARK_ENV "OVLMIG_FANOTIFY_MARK"

/* *OWN: the rule above holds for STORE (ROOT/ID). */
int fan_store_own_fs(const char *store, bool *own, struct error **err);

#endif
