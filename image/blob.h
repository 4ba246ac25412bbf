/* SPDX-License-Identifier: MIT */
/*
 * Blobs: one compressed layer, read by offset through a persistent,
 * verified chunk cache. The blob is cut into fixed-size chunks (the
 * index's chunk_size); a chunk is fetched whole, checked against its
 * sha256 from the index, written to the cache file, and only then marked
 * present in the cache's chunk map. A chunk that does not match is
 * fetched once more; a second mismatch fails the read with EIO, so no
 * wrong byte is ever returned. Once every chunk is present, the whole
 * blob is checked against its digest (by a sha256 kept running as the
 * chunks arrive in order, the file read again only when that fails); if
 * that fails although every chunk matched its sha256, the chunk table is
 * wrong and reads fail with EIO.
 * Chunks found in the cache at open are checked on their first read.
 *
 * Cache layout (CACHE_DIR/blobs/): <hex>.data (sparse, the blob's bytes)
 * and <hex>.map (one byte per chunk: 1 = present and verified), keyed by
 * the blob's digest, so a restarted lowerfs reuses what is there.
 */
#ifndef IMAGE_BLOB_H
#define IMAGE_BLOB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/error.h"
#include "fetch.h"

struct blob;

struct blob_stats {
	uint64_t chunks_fetched;
	uint64_t bytes_fetched;		/* compressed bytes downloaded */
	uint64_t chunks_cached;		/* present in the cache right now */
	uint64_t nchunks;
	uint64_t mismatches;		/* chunks that failed their sha256 */
	bool verified;			/* whole blob checked against its digest */
	uint64_t whole_checks;		/* times the whole file was read to check it */
	uint64_t chunks_reread;		/* chunks read back for the running digest */
};

/*
 * URL: http(s)://, file:// or a path. DIGEST: "sha256:<hex>", used as
 * the cache key and checked at the end. CACHE_DIR may be NULL (chunks kept
 * only while a read uses them). CHUNK_SHA256 has NCHUNKS entries (copied),
 * or is NULL: no chunk table (a layer read through its own TOC, whose
 * reader checks each span it decompresses); the whole digest is still
 * checked once every chunk is present.
 */
int blob_open(struct fetcher *f, const char *url, const char *digest,
	      uint64_t size, uint32_t chunk_size,
	      const uint8_t (*chunk_sha256)[32], uint64_t nchunks,
	      const char *cache_dir, struct blob **out, struct error **err);
void blob_close(struct blob *b);

/* Exactly LEN bytes at OFF; missing chunks are fetched (in parallel). */
int blob_read(struct blob *b, uint64_t off, void *buf, size_t len,
	      struct error **err);
/* Make chunks [first, first+count) present (prefetch); 0 when all are. No-op without a cache. */
int blob_fetch_chunks(struct blob *b, uint64_t first, uint64_t count,
		      struct error **err);
bool blob_chunk_present(struct blob *b, uint64_t chunk);
void blob_stats(struct blob *b, struct blob_stats *out);
/* Remove this blob's cache files. */
int blob_wipe(struct blob *b, struct error **err);

#endif
