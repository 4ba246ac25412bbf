/* SPDX-License-Identifier: MIT */
/*
 * The tag of an unfilled placeholder (fan_holes.h): an xattr naming its
 * store (the store directory's inode number), set when it is laid and
 * removed once it is whole. With one filesystem mark every open and read
 * on the store's filesystem is an event; the keeper allows at once each
 * one whose file lacks its store's tag (META images, uppers, data/,
 * another image's placeholders) and hands only the tagged ones to the
 * worker: one fgetxattr per event, nothing in memory per file. The
 * xattr lives in the data file, which the overlay never shows (a
 * metacopy file's xattrs are META's).
 */
#ifndef OVLMIG_FAN_TAG_H
#define OVLMIG_FAN_TAG_H

#include <stdint.h>

#include "../common/error.h"

#define FAN_TAG_XATTR "trusted.ovlmig.hole"

/* Is the file open as FD a placeholder of store KEY? 1, 0, or -1 (errno). */
int fan_tag_is(int fd, uint64_t key);
/* Tag FD as a placeholder of KEY: 1 tagged now, 0 it was, -1 error. */
int fan_tag_set(int fd, uint64_t key, struct error **err);
/* FD no placeholder any more (whole); no tag is no error. */
int fan_tag_clear(int fd, struct error **err);

#endif
