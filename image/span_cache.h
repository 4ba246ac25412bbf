/* SPDX-License-Identifier: MIT */
/*
 * Decompressed spans of compressed layers, kept for the next READ.
 *
 * A READ of a large file served by chunks asks for 128 KiB to 1 MiB; in
 * a gzip layer each one would decompress from the checkpoint before it,
 * up to 4 MiB, so a sequential read would decompress every byte many
 * times. A span is the data between two checkpoints: it is decompressed
 * once, as far as the file being read goes, and the following READs copy
 * from it. Plain layers are read
 * directly; a span larger than the limit (a zstd layer of one frame) too.
 */
#ifndef IMAGE_SPAN_CACHE_H
#define IMAGE_SPAN_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "../common/error.h"
#include "layer_set.h"

struct span_cache;

/* SLOTS spans of at most MAX_SPAN bytes each are kept. */
int span_cache_new(unsigned slots, uint64_t max_span, struct span_cache **out,
		   struct error **err);
void span_cache_free(struct span_cache *c);

/*
 * Exactly LEN bytes at OFF of layer L's uncompressed stream into BUF.
 * UPTO is where the reader's file ends: a span is decompressed (and its
 * compressed bytes fetched) from its checkpoint to there, or to the
 * span's end if that comes first, not always to the span's end.
 */
int span_cache_read(struct span_cache *c, struct layer_set *ls, uint32_t l,
		    uint64_t off, void *buf, size_t len, uint64_t upto,
		    struct error **err);

#endif
