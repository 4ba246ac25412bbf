/* SPDX-License-Identifier: MIT */
/*
 * The image: an immutable in-memory index of every entry of the snapshot
 * that lowerfs serves. Sources fill it once at start; after
 * image_finalize() it never changes, so it is read without locks.
 *
 * Node numbers are array indexes in the order the source adds entries;
 * the FUSE node id is index + 1 (the root is FUSE_ROOT_ID). A source that
 * adds entries in a deterministic order thus gets stable node ids.
 */
#ifndef IMAGE_TREE_H
#define IMAGE_TREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "../common/error.h"

#define IMAGE_NONE UINT32_MAX

struct image_xattr {
	char *name;
	void *value;
	size_t size;
};

struct image_dirent {
	char *name;
	uint32_t node;
};

struct image_node {
	uint32_t parent;	/* directory of the first name, for paths */
	char *name;		/* first name (NULL for the root) */
	mode_t mode;		/* type and permission bits incl. suid/sgid/sticky */
	uid_t uid;
	gid_t gid;
	uint32_t nlink;		/* computed by image_finalize() */
	uint64_t size;
	uint64_t blocks;	/* 512-byte blocks the source reports */
	dev_t rdev;
	struct timespec atime, mtime, ctime;
	char *link;		/* symlink target */
	struct image_xattr *xattrs;
	uint32_t nxattrs;
	struct image_dirent *children;	/* directories: sorted by name */
	uint32_t nchildren, children_cap;
	char *src_ref;		/* where the source finds the data */
	uint64_t src_off;
};

struct image {
	struct image_node *nodes;
	uint32_t count, cap;
	uint64_t total_bytes;	/* sum of regular file sizes */
	uint32_t nregular;
};

/* Attributes a source passes when adding an entry. */
struct image_attr {
	mode_t mode;
	uid_t uid;
	gid_t gid;
	uint64_t size, blocks;
	dev_t rdev;
	struct timespec atime, mtime, ctime;
	const char *link;
	const char *src_ref;
	uint64_t src_off;
};

void image_init(struct image *img);
/* Room for N nodes in all, so that adding them never grows the array. */
int image_reserve(struct image *img, uint32_t n, struct error **err);
void image_free(struct image *img);

int image_add_root(struct image *img, const struct image_attr *attr,
		   struct error **err);
/* New node named NAME in directory PARENT. */
int image_add(struct image *img, uint32_t parent, const char *name,
	      const struct image_attr *attr, uint32_t *out, struct error **err);
/* Another name for an existing non-directory node (a hardlink). */
int image_link(struct image *img, uint32_t parent, const char *name,
	       uint32_t node, struct error **err);
/*
 * Attach an extended attribute. trusted.overlay.* is dropped here, for
 * every source: an image must never steer the overlay above it.
 */
int image_add_xattr(struct image *img, uint32_t node, const char *name,
		    const void *value, size_t size, struct error **err);
/* Sort directories, reject duplicate names, compute link counts. */
int image_finalize(struct image *img, struct error **err);

/* Child of DIR named NAME, or IMAGE_NONE. */
uint32_t image_lookup(const struct image *img, uint32_t dir, const char *name,
		      size_t namelen);
/*
 * The node at PATH ("a/b"; a leading or doubled '/' is skipped), or
 * IMAGE_NONE. No entry is named "." or "..": nothing climbs out.
 */
uint32_t image_lookup_path(const struct image *img, const char *path);
/* Path of NODE relative to the root ("" for the root); malloc'd. */
char *image_path(const struct image *img, uint32_t node);
/* A hash of all metadata: identifies the image for a persistent cache. */
uint64_t image_fingerprint(const struct image *img);

bool image_name_valid(const char *name, size_t len);

static inline uint64_t image_nodeid(uint32_t idx) { return (uint64_t)idx + 1; }

/* Node index for a FUSE node id, or IMAGE_NONE if out of range. */
static inline uint32_t image_node_of(const struct image *img, uint64_t nodeid)
{
	if (nodeid == 0 || nodeid > img->count)
		return IMAGE_NONE;
	return (uint32_t)(nodeid - 1);
}

#endif
