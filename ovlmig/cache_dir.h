/* SPDX-License-Identifier: MIT */
/*
 * The lowerfs cache directory of a mount. detach deletes it, so it must
 * never be a directory holding anything ovlmig did not put there: a
 * marker in it, CACHE/.ovlmig-cache, says ovlmig owns it, and how:
 * "made" (ovlmig created the directory: detach deletes it) or "adopted"
 * (given empty: detach empties it and leaves the directory).
 */
#ifndef OVLMIG_CACHE_DIR_H
#define OVLMIG_CACHE_DIR_H

#include <stdbool.h>

#include "../common/error.h"

#define CACHE_MARKER ".ovlmig-cache"

enum cache_claim {
	CACHE_REUSED,	/* marked already: a cache of an earlier mount */
	CACHE_MADE,	/* created now */
	CACHE_ADOPTED,	/* an empty directory, marked now */
};

/*
 * Take absolute PATH as a mount's cache: create and mark it, mark it if
 * empty, reuse it if marked; refuse a directory holding anything else.
 */
int cache_dir_claim(const char *path, enum cache_claim *how, struct error **err);
/*
 * Delete what ovlmig owns of the cache at PATH (per its marker), under an
 * exclusive flock on the directory: 0. A cache another process holds
 * (the lowerfs or fanotify filler of another mount given the same
 * --cache: CACHE_IN_USE in image/cache.h) is left as it is: 1, no error. A path that is not
 * absolute, or a directory without the marker, is left alone with an
 * error saying so (-1); a missing one is no error. The marker goes last:
 * a deletion cut short leaves a cache still marked as ovlmig's.
 */
int cache_dir_release(const char *path, struct error **err);
/* The marker of the cache directory DFD (PATH): 1 (*MADE set), 0 none, -1 error. */
int cache_dir_marker(int dfd, const char *path, bool *made, struct error **err);

#endif
