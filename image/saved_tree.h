/* SPDX-License-Identifier: MIT */
/*
 * A saved tree: an image's flattened tree (entries, attributes, xattrs,
 * symlink targets, hardlinks, each regular file's place in the layers) in
 * one compact binary file, so a later lowerfs of the same image loads it
 * in one read instead of parsing every layer index and flattening again.
 *
 * It is untrusted when loaded. Layout, little-endian:
 *
 *   header: magic "OVLTREE\0", u32 version, u32 identity length,
 *           identity bytes, u64 body length, sha256 of the body
 *   body:   u32 node count, u32 file count, u32 extra link count;
 *           nodes in node order (parents first), each: u32 parent,
 *           str name (empty for the root), u32 mode, uid, gid, u64 size,
 *           blocks, rdev, 3 x (i64 sec, u32 nsec) atime/mtime/ctime,
 *           str link, str src_ref, u64 src_off, u32 xattr count and per
 *           xattr str name, str value;
 *           extra links (every name of a node but its first): u32 parent,
 *           u32 node, str name;
 *           files: u32 layer, u64 data_off, u64 size
 *   str:    u32 length and the bytes (no NUL)
 *
 * The identity names the source the tree belongs to (the manifest digest
 * and the layer index digests); a tree of another identity, another
 * version, a body whose checksum does not match, or any count, length or
 * node number out of bounds is refused as a whole and nothing is used.
 * Names, parents and links are rebuilt through image_add()/image_link(),
 * which judge them as they judge an index.
 */
#ifndef IMAGE_SAVED_TREE_H
#define IMAGE_SAVED_TREE_H

#include <stddef.h>

#include "../common/error.h"
#include "flatten.h"
#include "tree.h"

#define SAVED_TREE_VERSION 1u
/* its name in an image store entry (ROOT/ID/), beside meta.erofs */
#define SAVED_TREE_FILE "tree.saved"

/* IMG (finalized) with its FLAT files as a saved tree, *OUT malloc'd. */
int saved_tree_encode(const struct image *img, const struct flat_result *flat,
		      const char *identity, void **out, size_t *len,
		      struct error **err);
/*
 * IMG (empty, image_init'ed) and FLAT from BUF, checked whole against
 * IDENTITY first; IMG finalized. On failure both are left empty.
 */
int saved_tree_decode(const void *buf, size_t len, const char *identity,
		      struct image *img, struct flat_result *flat,
		      struct error **err);

/* Encode and write to PATH durably (temp name, fsync, rename). */
int saved_tree_save(const char *path, const struct image *img,
		    const struct flat_result *flat, const char *identity,
		    struct error **err);
/* Read PATH in one go and decode it. */
int saved_tree_load(const char *path, const char *identity, struct image *img,
		    struct flat_result *flat, struct error **err);

#endif
