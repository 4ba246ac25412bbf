/* SPDX-License-Identifier: MIT */
/*
 * Keeping the bytes of a blob streamed whole (to build its layer index)
 * for the chunk cache (blob.h), so that no read fetches them again.
 *
 * The rule: streamed bytes are never trusted before the whole stream has
 * matched the blob's digest. They go to an unnamed file (O_TMPFILE) in
 * CACHE_DIR/blobs/ that no reader can see; only blob_spool_commit, which
 * the caller calls after the digest matched, names it <hex>.data and then
 * writes <hex>.map with every chunk present. A process killed before the
 * commit leaves nothing behind; one killed between the two renames
 * leaves verified data under the old map, which is still right.
 */
#ifndef IMAGE_BLOB_SPOOL_H
#define IMAGE_BLOB_SPOOL_H

#include <stddef.h>
#include <stdint.h>

#include "../common/error.h"

struct blob_spool;

int blob_spool_new(const char *cache_dir, struct blob_spool **out,
		   struct error **err);
/* Append LEN bytes of the stream. */
int blob_spool_write(struct blob_spool *s, const void *buf, size_t len,
		     struct error **err);
/*
 * The stream is over and its SIZE bytes matched DIGEST ("sha256:<hex>"):
 * make them the cached blob, every chunk of CHUNK_SIZE present.
 */
int blob_spool_commit(struct blob_spool *s, const char *digest, uint64_t size,
		      uint32_t chunk_size, struct error **err);
/* Forget what was not committed. */
void blob_spool_free(struct blob_spool *s);

#endif
