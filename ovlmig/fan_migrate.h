/* SPDX-License-Identifier: MIT */
/*
 * Migration of a store filled by fanotify: migrate fills data/ as for
 * the FUSE backend (store_fill: layer byte order, resumable, --jobs,
 * --bandwidth, progress), and has each file's placeholder filled as soon
 * as the file is in data/ (fan_hole_whole), since the overlay may hold it
 * already (a stat resolves a file's data layer); the filler then
 * replaces data/'s copy by the placeholder (fan_holes_link): one copy
 * on disk. fan_holes_complete checks them all at the end: then nothing
 * the container can reach depends on the filler, and detach only stops
 * it (its group and marks go with it).
 */
#ifndef OVLMIG_FAN_MIGRATE_H
#define OVLMIG_FAN_MIGRATE_H

#include <stdint.h>

#include "../common/error.h"
#include "../image/image.h"

/*
 * HOLESFD/REL (a placeholder of a file of SIZE bytes), if there, whole:
 * opened, and its last byte read if it is short, so that the filler fills
 * it at those events (from data/ if the file is there). -1 if it stays
 * short: the filler is gone.
 */
int fan_hole_whole(int holesfd, const char *rel, uint64_t size,
		   struct error **err);

/*
 * Every placeholder in STORE/holes whole: each one still short opened,
 * so that the filler fills it at that open (from data/). -1 if one stays
 * short: the filler is gone.
 */
int fan_holes_complete(const char *store, struct image_handle *h,
		       struct error **err);

#endif
