/* SPDX-License-Identifier: MIT */
/*
 * The local file cache: one file per regular node, fetched whole on first
 * open and then served from local disk (with FUSE passthrough). A file is
 * present only once completely fetched (written under a temporary name,
 * then renamed), so a restarted lowerfs trusts what it finds. The cache
 * is tied to one image by its fingerprint; another image wipes it.
 */
#ifndef LOWERFS_CACHE_H
#define LOWERFS_CACHE_H

#include <stdint.h>

#include "../common/error.h"
#include "image.h"
#include "source.h"

struct cache {
	char *dir;
	int dirfd;
};

int cache_open(const char *dir, uint64_t fingerprint, struct cache **out,
	       struct error **err);
void cache_close(struct cache *c);

/* The cached file of NODE opened read-only, or -1 with errno ENOENT. */
int cache_lookup(struct cache *c, uint32_t node);
/* Fetch NODE from SRC into the cache; returns it opened read-only. */
int cache_fill(struct cache *c, struct source *src, const struct image *img,
	       uint32_t node, struct error **err);
/* Remove every cached file and the cache directory's own files. */
int cache_wipe(struct cache *c, struct error **err);

#endif
