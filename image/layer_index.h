/* SPDX-License-Identifier: MIT */
/*
 * Layer indexes: what one tar layer (plain, gzip or zstd) holds and where,
 * so that any file can be read out of the compressed layer without
 * decompressing everything before it.
 *
 * An index is built by streaming the compressed layer once
 * (layer_index_build), kept as a versioned binary file (docs/INDEX.md;
 * layer_index_encode/decode), and used to read ranges of the uncompressed
 * tar stream from a random-access reader of the compressed bytes
 * (layer_read). Every decoded index is untrusted input: decode checks
 * every size, offset and name.
 */
#ifndef IMAGE_LAYER_INDEX_H
#define IMAGE_LAYER_INDEX_H

#include "../common/error.h"
#include "layer_types.h"

/* A layer_stream_fn over the file descriptor *(int *)CTX: read(2), EINTR retried. */
ssize_t layer_fd_next(void *ctx, void *buf, size_t len, struct error **err);
/*
 * Read the compressed layer once from NEXT and index it. Compression is
 * detected from the magic bytes. Hostile entries (absolute or ".." paths,
 * hardlinks to unknown or later entries, bad names) are left out and
 * counted in `rejected`, each with a line on stderr; a truncated or corrupt
 * stream, a file longer than the stream, or an unsupported entry (sparse)
 * fail with a clear error.
 */
int layer_index_build(layer_stream_fn next, void *ctx, uint32_t chunk_size,
		      struct layer_index *out, struct error **err);
/*
 * The same with gzip checkpoints about every SPAN uncompressed bytes
 * (LAYER_CHECKPOINT_SPAN_MIN .. _MAX) instead of LAYER_CHECKPOINT_SPAN:
 * closer checkpoints make a read fetch less from the one before it, and
 * the index a 32 KiB window (deflated) more per checkpoint (docs/INDEX.md).
 */
int layer_index_build_spaced(layer_stream_fn next, void *ctx,
			     uint32_t chunk_size, uint64_t span,
			     struct layer_index *out, struct error **err);

/* Write IDX to FD in the format of docs/INDEX.md. */
int layer_index_encode(const struct layer_index *idx, int fd,
		       struct error **err);
/*
 * Version 2 (docs/INDEX.md): the head (all but the windows, with each
 * window's sha256) and the windows part, in two malloc'd buffers, for a
 * registry to keep as two blobs. Every window must be in memory.
 */
int layer_index_encode_split(const struct layer_index *idx, uint8_t **head,
			     size_t *head_len, uint8_t **windows,
			     size_t *windows_len, struct error **err);
/* Version 2 as one file: the head, then the windows. */
int layer_index_encode_v2(const struct layer_index *idx, int fd,
			  struct error **err);
/*
 * Parse an index file's bytes (version 1, or 2 with its windows after
 * the head; each window checked against its sha256); every field checked.
 */
int layer_index_decode(const void *buf, size_t len, struct layer_index *out,
		       struct error **err);
/*
 * A version 2 head alone: the windows stay where they are, read by the
 * first read that needs each (layer_index_set_windows).
 */
int layer_index_decode_head(const void *buf, size_t len,
			    struct layer_index *out, struct error **err);
/*
 * Where the windows of IDX not in memory come from: READ_AT(CTX, ...) at
 * offsets of the windows part. Each is checked against its sha256 before
 * use and kept once read. CTX_FREE(CTX) (may be NULL) when IDX is freed,
 * or here on failure.
 */
int layer_index_set_windows(struct layer_index *idx, layer_read_at_fn read_at,
			    void *ctx, void (*ctx_free)(void *),
			    struct error **err);
/*
 * The window of checkpoint I not in memory (a version 2 head's, kept
 * where its source is): 1 it is to be fetched, 0 it is there or the
 * checkpoint has none.
 */
int layer_index_window_missing(const struct layer_index *idx, uint32_t i);
/*
 * Fetch that window now, check it and keep it for the read that starts
 * at checkpoint I (which would fetch it itself): for a caller that
 * fetches the read's compressed bytes at the same time.
 */
int layer_index_fetch_window(const struct layer_index *idx, uint32_t i,
			     struct error **err);
int layer_index_load(const char *path, struct layer_index *out,
		     struct error **err);
void layer_index_free(struct layer_index *idx);

/*
 * Copy LEN bytes at OFF of the uncompressed stream to SINK, decompressing
 * from the nearest checkpoint at or before OFF; compressed bytes come from
 * READ_AT in pieces of at most chunk_size, aligned to chunks.
 */
typedef int (*layer_sink_fn)(void *ctx, const void *buf, size_t len,
			     struct error **err);
int layer_read(const struct layer_index *idx, layer_read_at_fn read_at,
	       void *read_ctx, uint64_t off, uint64_t len, layer_sink_fn sink,
	       void *sink_ctx, struct error **err);

/*
 * Span AT of a gzip layer read through its own TOC (eStargz: a span
 * starts a gzip member), its compressed bytes from its checkpoint on at
 * CBUF (CLEN of them, at least its members'): inflated whole in one call
 * per member (libdeflate, about 2.4x zlib's streaming inflate), checked
 * against its sha256, and [OFF, OFF+LEN) of it (within the span) handed
 * to SINK. 1 done; 0 not taken (another kind of span, a member holding
 * more than the span and 64 KiB, data libdeflate refuses: layer_read
 * reads it, and says what is wrong); -1 with *ERR set: a digest mismatch
 * (EIO), or SINK's error.
 */
int layer_read_span_whole(const struct layer_index *idx, uint32_t at,
			  const uint8_t *cbuf, size_t clen, uint64_t off,
			  uint64_t len, layer_sink_fn sink, void *ctx,
			  struct error **err);

/* The last checkpoint at or before OFF (idx->ncheckpoints > 0). */
uint32_t layer_checkpoint_at(const struct layer_index *idx, uint64_t off);

const char *layer_compression_name(enum layer_compression c);

#endif
