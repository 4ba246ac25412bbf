/* SPDX-License-Identifier: MIT */
/*
 * The fanotify filler (`ovlmig fanfill STATE-DIR`, started by mount with
 * --fill fanotify): fills the image store's placeholders (fan_holes.h)
 * on first open, so a container runs with no lowerfs and no FUSE mount.
 *
 * It holds a FAN_CLASS_PRE_CONTENT group with an inode mark on every
 * placeholder, and a mount of the store of its own (open_tree, attached
 * nowhere: it goes when the filler does) with an ignore mark, through
 * which it writes. At FAN_OPEN_PERM (and at FAN_PRE_ACCESS for a file
 * opened before) it fills the file whole, then answers FAN_ALLOW; a
 * fetch or verification failure answers FAN_DENY with EIO. Whole at
 * open because an mmap through the overlay raises no event; except a
 * large data file (fan_range.h: --fill-range-min, never an executable,
 * library or ELF file), filled by ranges at each read's FAN_PRE_ACCESS,
 * the filled part always a prefix of the file. It is two
 * processes: a keeper holding the group and a worker that fills, started
 * again if it dies (fan_keeper.h).
 *
 * STATE/filler.pid names the keeper; it holds STATE/filler.lock while it lives
 * and the store's use.lock shared (gc leaves the image alone).
 */
#ifndef OVLMIG_FAN_FILLER_H
#define OVLMIG_FAN_FILLER_H

#include "../common/error.h"

#define FAN_FILLER_PID "filler.pid"
#define FAN_FILLER_LOCK "filler.lock"
#define FAN_FILLER_LOG "filler.log"
/* the filler says "ok\n" on this fd once its marks are in place */
#define FAN_FILLER_READY_FD 3

/* The filler's life; returns only on a failure to start (said on READY_FD too). */
int fan_filler_run(const char *state_dir, struct error **err);

#endif
