/* SPDX-License-Identifier: MIT */
/*
 * Migration of a store filled by fanotify: migrate fills data/ as for
 * the FUSE backend (store_fill: layer byte order, resumable, --jobs,
 * --bandwidth, progress), then has every placeholder still empty filled
 * too, since the overlay may hold it already (a stat resolves a file's
 * data layer): then nothing the container can reach depends on the
 * filler, and detach only stops it (its group and marks go with it).
 */
#ifndef OVLMIG_FAN_MIGRATE_H
#define OVLMIG_FAN_MIGRATE_H

#include "../common/error.h"
#include "../image/image.h"

/*
 * Every placeholder in STORE/holes whole: each one still short opened,
 * so that the filler fills it at that open (from data/). -1 if one stays
 * short: the filler is gone.
 */
int fan_holes_complete(const char *store, struct image_handle *h,
		       struct error **err);

#endif
