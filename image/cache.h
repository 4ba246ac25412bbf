/* SPDX-License-Identifier: MIT */
/*
 * The local file cache: one file per regular node, fetched whole on first
 * open and then served from local disk (with FUSE passthrough). A file is
 * present only once completely fetched (written under a temporary name,
 * then renamed). Its sha256 is recorded then, in an xattr only root can
 * set (trusted.lowerfs.sha256), so a file found later is served only if
 * it has the image's size and that digest: a planted or altered file is
 * fetched again. The cache is tied to one image by its fingerprint;
 * another image wipes it.
 */
#ifndef IMAGE_CACHE_H
#define IMAGE_CACHE_H

#include <stdbool.h>
#include <stdint.h>

#include "../common/error.h"
#include "tree.h"
#include "source.h"

struct cache {
	char *dir;
	int dirfd;
};

/*
 * CACHE_IN_USE: the cache a process serves from (lowerfs, ovlmig's
 * fanotify filler) is held with a shared flock on DIR for as long as it
 * is open (and by lowerfs and the filler from their start: cache_hold).
 * ovlmig deletes a cache (detach, a mount of a complete image) only
 * under an exclusive one, so never under another mount's running lowerfs
 * or filler given the same --cache (ovlmig/cache_dir.h); a DIR being
 * deleted is refused here (EBUSY).
 */
int cache_open(const char *dir, uint64_t fingerprint, struct cache **out,
	       struct error **err);
/*
 * DIR (which exists) held as cache_open holds it, on *FD (close it to
 * let go): lowerfs takes it at its start, before the source reads
 * indexes into the cache, for its whole life.
 */
int cache_hold(const char *dir, int *fd, struct error **err);
void cache_close(struct cache *c);
/*
 * The cache at DIR as it is, for a reader beside lowerfs (ovlmig's fill):
 * nothing in it is removed or written. 1 with *OUT when it holds files
 * of the image with FINGERPRINT; 0 when it is absent or another image's.
 */
int cache_open_existing(const char *dir, uint64_t fingerprint,
			struct cache **out, struct error **err);

/*
 * The cached file of NODE opened read-only, if it is SIZE bytes and (when
 * HASH) its data has the sha256 recorded when it was fetched. -1 when
 * absent; -1 with *WHY set when it was there but refused (cache_fill
 * then replaces it).
 */
int cache_lookup(struct cache *c, uint32_t node, uint64_t size, bool hash,
		 struct error **why);
/* Fetch NODE from SRC into the cache; returns it opened read-only. */
int cache_fill(struct cache *c, struct source *src, const struct image *img,
	       uint32_t node, struct error **err);
/* Remove every cached file and the cache directory's own files. */
int cache_wipe(struct cache *c, struct error **err);

#endif
