/* SPDX-License-Identifier: MIT */
/*
 * Deleting a mount's cache without making detach wait for it: unlinking
 * half a GiB of blobs took 0.3 s of a detach (ext4 with discard). The
 * cache is renamed away at once (its path is gone when detach returns)
 * to PARENT/.NAME.ovlmig-trash-PID-N and deleted by a child process that
 * holds an flock on it. The lock says who owns a trash directory: one
 * whose lock is free was left by a deleter that died (kill -9, crash),
 * and the next sweep of that parent directory deletes it.
 */
#ifndef OVLMIG_CACHE_TRASH_H
#define OVLMIG_CACHE_TRASH_H

#include "../common/error.h"

/*
 * cache_dir_release, with the deletion in the background when ovlmig
 * made the directory (an adopted one is emptied here: it stays). The
 * same results: 1 when another lowerfs holds the cache (left as it is).
 */
int cache_dir_release_later(const char *path, struct error **err);
/* Delete the trash of PATH's name that no live deleter holds. */
void cache_trash_sweep(const char *path);

#endif
