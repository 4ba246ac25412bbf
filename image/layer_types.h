/* SPDX-License-Identifier: MIT */
/*
 * A layer index as data: its entries, xattrs and checkpoints, and the
 * reader callbacks the index functions take. The functions are in
 * layer_index.h; the index files' internals in layer_priv.h.
 */
#ifndef IMAGE_LAYER_TYPES_H
#define IMAGE_LAYER_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "../common/error.h"

#define LAYER_INDEX_VERSION 1		/* what an index file is written as */
/* head (what a mount needs) and windows apart: docs/INDEX.md, version 2 */
#define LAYER_INDEX_VERSION_SPLIT 2
#define LAYER_CHUNK_SIZE_DEFAULT (1u << 20)	/* compressed bytes per chunk */
#define LAYER_CHECKPOINT_SPAN (4u << 20)	/* uncompressed, gzip */
#define LAYER_CHECKPOINT_SPAN_MIN (64u << 10)
#define LAYER_CHECKPOINT_SPAN_MAX (1u << 30)
#define LAYER_WINDOW_SIZE 32768u		/* zlib window */

enum layer_compression {
	LAYER_PLAIN = 0,
	LAYER_GZIP = 1,
	LAYER_ZSTD = 2,
};

enum layer_window_kind {
	LAYER_WINDOW_NONE = 0,
	LAYER_WINDOW_RAW = 1,	/* LAYER_WINDOW_SIZE bytes as they are */
	LAYER_WINDOW_ZLIB = 2,	/* deflated with zlib's compress2 */
};

/* Where decompression can start: gzip (with its window) or a zstd frame. */
struct layer_checkpoint {
	uint64_t in_off;	/* compressed byte offset */
	uint8_t in_bits;	/* gzip: bits of the byte before in_off still unused (0-7) */
	uint64_t out_off;	/* uncompressed offset */
	/*
	 * gzip inside a member: the 32 KiB window as the index file stores
	 * it, inflated only by a read that starts here (a hostile index
	 * could otherwise claim 32 KiB per few bytes of file). NULL at a
	 * member start, zstd, plain.
	 */
	uint8_t *window;
	enum layer_window_kind window_kind;
	uint32_t window_len;	/* stored bytes */
	/*
	 * Version 2: where the stored window is in the windows part and its
	 * sha256. A window not in memory (window NULL, kind not NONE) is
	 * fetched from the index's window source by the read that needs it.
	 */
	uint64_t window_off;
	uint8_t window_sha256[32];
};

struct layer_window_src;

struct layer_xattr {
	char *name;
	uint8_t *value;
	size_t size;
};

enum layer_entry_kind {
	LAYER_ENTRY_NORMAL = 0,	/* regular, dir, symlink, device, fifo, socket */
	LAYER_ENTRY_HARDLINK = 1,	/* another name for entry `hardlink` */
};

struct layer_entry {
	/*
	 * Normalized: relative, "./" prefix and trailing '/' removed, no
	 * empty, "." or ".." components. "" is the root directory ("./" in
	 * the tar), only ever a directory.
	 */
	char *path;
	enum layer_entry_kind kind;
	char *hardlink;		/* HARDLINK: normalized path of the target, an earlier entry of this layer */
	mode_t mode;		/* type and permission bits */
	uid_t uid;
	gid_t gid;
	uint64_t size;		/* regular files: data length */
	dev_t rdev;
	struct timespec atime, mtime, ctime;	/* atime/ctime = mtime when the tar has none */
	char *link;		/* symlink target, as stored (never followed) */
	struct layer_xattr *xattrs;
	uint32_t nxattrs;
	uint64_t data_off;	/* regular files: offset of the data in the uncompressed stream */
};

struct layer_index {
	uint32_t version;
	enum layer_compression compression;
	char digest[7 + 64 + 1];	/* "sha256:<hex>" of the compressed layer */
	uint64_t compressed_size;
	uint64_t uncompressed_size;
	uint32_t chunk_size;		/* compressed bytes per chunk (last may be shorter) */
	uint64_t nchunks;		/* = ceil(compressed_size / chunk_size) */
	uint8_t (*chunk_sha256)[32];	/* one per chunk */
	bool seekable;			/* false: a single zstd frame, reads start at 0 */
	struct layer_checkpoint *checkpoints;	/* sorted by out_off; [0].out_off == 0 */
	uint32_t ncheckpoints;
	struct layer_entry *entries;	/* in tar order */
	uint32_t nentries;
	uint32_t rejected;		/* hostile entries left out (each logged) */
	uint64_t xattr_bytes;		/* names and values of all entries' xattrs */
	/*
	 * From a layer's own table of contents (layer_toc.h): the sha256 of
	 * each checkpoint's span of the uncompressed stream (up to the next
	 * checkpoint), checked by every read before a byte of it is served.
	 * NULL for our indexes (their chunk hashes check the compressed bytes).
	 */
	uint8_t (*span_sha256)[32];
	/*
	 * Version 2 read as a head alone (a registry's head blob): the
	 * windows part's size, and where its windows are fetched from when a
	 * read needs one (layer_index_set_windows); NULL when every window
	 * is in memory.
	 */
	uint64_t windows_size;
	uint8_t windows_sha256[32];	/* of the whole windows part */
	struct layer_window_src *windows;
};

/* Sequential reader of the compressed layer: bytes read, 0 at the end, -1 on error (with *err). */
typedef ssize_t (*layer_stream_fn)(void *ctx, void *buf, size_t len,
				   struct error **err);
/* Random-access reader of the compressed layer: exactly LEN bytes at OFF or -1. */
typedef int (*layer_read_at_fn)(void *ctx, uint64_t off, void *buf, size_t len,
				struct error **err);

#endif
