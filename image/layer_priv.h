/* SPDX-License-Identifier: MIT */
/*
 * Internals shared by the layer index files (layer_index.c, layer_build.c,
 * layer_stream.c, layer_read.c, layer_path.c): limits, path rules and a
 * path -> entry table. Not part of the interface.
 */
#ifndef IMAGE_LAYER_PRIV_H
#define IMAGE_LAYER_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "layer_types.h"

#define LAYER_CHUNK_MIN 4096u
#define LAYER_CHUNK_MAX (1u << 30)
#define LAYER_PATH_MAX 4095u		/* PATH_MAX without the NUL */
#define LAYER_NAME_MAX 255u		/* one component */
#define LAYER_XATTR_NAME_MAX 255u
#define LAYER_XATTR_SIZE_MAX 65536u	/* one value: the kernel's XATTR_SIZE_MAX */
#define LAYER_XATTRS_MAX 1024u		/* per entry */
/*
 * Names and values together: per entry, what ext4 or a listxattr buffer
 * can hold at most; per layer, what an index may make lowerfs keep.
 */
#define LAYER_XATTR_ENTRY_MAX 65536u
#define LAYER_XATTR_LAYER_MAX (32u << 20)
/*
 * Compressed bytes from any checkpoint to the next one with a window.
 * The builder puts a window LAYER_CHECKPOINT_SPAN output bytes after the
 * checkpoint before it, and deflate makes at most 1032 bytes of one
 * (over 4000 compressed bytes in between): a hostile index cannot make a
 * small layer hold a window (32 KiB inflated) per few bytes. With a
 * smaller span (layer_index_build_spaced) the builder also waits for
 * this many compressed bytes.
 */
#define LAYER_WINDOW_GAP_MIN 2048u
_Static_assert(LAYER_CHECKPOINT_SPAN / 1032 > LAYER_WINDOW_GAP_MIN,
	       "windows closer than a real layer can have them");

/*
 * Normalize a tar member name: "./a//b/" -> "a/b", "./" or "." -> ""
 * (the root). Returns a fresh string, or NULL with *why set (absolute,
 * "..", empty, too long) or errno ENOMEM and *why NULL.
 */
char *layer_path_normalize(const char *name, const char **why);

/* Is P (LEN bytes, not NUL-terminated) already in normalized form? NULL if so, else why not. */
const char *layer_path_check(const char *p, size_t len);

/* "name" with control and non-ASCII bytes as \xNN, for log lines. */
char *layer_path_printable(const char *p);

/* Latest entry (index into an entry array) by path, for hardlink targets. */
struct layer_paths {
	uint32_t *slots;	/* entry index + 1; 0 = empty */
	size_t cap;		/* a power of two */
	size_t used;
};

void layer_paths_init(struct layer_paths *t);
void layer_paths_free(struct layer_paths *t);
/* Map entries[i].path to i, replacing an earlier entry of that path. */
int layer_paths_put(struct layer_paths *t, const struct layer_entry *entries,
		    uint32_t i);
/* Index of the latest entry named PATH, or -1. */
int64_t layer_paths_get(const struct layer_paths *t,
			const struct layer_entry *entries, const char *path);

/* Keep the 32 KiB window RAW in CP in its stored form (deflated if smaller). */
int layer_window_store(struct layer_checkpoint *cp, const uint8_t *raw,
		       struct error **err);
/*
 * Inflate the window of checkpoint I of IDX into OUT (LAYER_WINDOW_SIZE
 * bytes), first reading it from IDX's window source if it is not in
 * memory (checked against its sha256).
 */
int layer_window_load(const struct layer_index *idx, uint32_t i,
		      uint8_t *out, struct error **err);
/* The window source of an index of N checkpoints (NULL: none). */
void layer_window_src_free(struct layer_window_src *src, uint32_t n);

bool layer_mode_valid(uint32_t mode);
/*
 * The entry checks of layer_index_decode over an index made in memory
 * (a layer's TOC): names, modes, links, data within the stream,
 * hardlinks to earlier entries. The first bad entry fails it.
 */
int layer_entries_check(const struct layer_index *idx, struct error **err);
void layer_entry_clear(struct layer_entry *e);

/*
 * The decompressing reader under layer_index_build: pulls compressed
 * bytes from NEXT (hashing them per chunk and whole) and hands out the
 * uncompressed stream block by block, recording checkpoints in IDX.
 */
struct layer_stream;

int layer_stream_open(layer_stream_fn next, void *ctx, uint32_t chunk_size,
		      uint64_t span, struct layer_index *idx,
		      struct layer_stream **out,
		      struct error **err);
/* The next block of the uncompressed stream; *len 0 at its end. */
int layer_stream_read(struct layer_stream *s, const void **buf, size_t *len,
		      struct error **err);
/*
 * After the end: fill in sizes, digest, chunk hashes and seekable.
 * Fails if the stream was not read to its end.
 */
int layer_stream_finish(struct layer_stream *s, struct error **err);
void layer_stream_free(struct layer_stream *s);

#endif
