/* SPDX-License-Identifier: MIT */
/*
 * An EROFS image writer: a read-only filesystem in one file, built in
 * memory from a list of entries and written in one sequential pass, then
 * mounted file-backed (mount -t erofs IMAGE DIR). Made for the overlay's
 * metadata layer: regular files may have no data and read as holes of
 * their size (metacopy files), small files may carry their data inline.
 *
 * Entries are added in any order; each gets the next index (0, 1, ...),
 * by which other entries name it as their parent or hardlink target. A
 * parent may be added after its children: the tree is checked as a
 * whole by erofs_writer_write(). Strings, data and xattrs are copied.
 */
#ifndef OVLMIG_EROFS_WRITER_H
#define OVLMIG_EROFS_WRITER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../common/error.h"

#define EROFS_NO_PARENT	UINT32_MAX	/* the parent of the root */
#define EROFS_NO_LINK	UINT32_MAX	/* an entry that is no hardlink */
#define EROFS_XATTR_VALUE_MAX	65535	/* a value's size is 16 bits on disk */
#define EROFS_SYMLINK_MAX	4095

/* name: "user.*", "trusted.*", "security.*" or a POSIX ACL name */
struct erofs_xattr {
	const char *name;
	const void *value;
	size_t size;
};

struct erofs_entry {
	uint32_t parent;	/* a directory's index, EROFS_NO_PARENT for the root */
	const char *name;	/* 1..255 bytes, no '/', not . or ..; "" for the root */
	/*
	 * EROFS_NO_LINK, or an earlier entry (not a directory) this is
	 * another name of: then only parent and name are used.
	 */
	uint32_t hardlink;
	mode_t mode;		/* type and all 12 permission bits */
	uint32_t uid, gid;
	int64_t mtime_sec;	/* also the inode's atime and ctime */
	uint32_t mtime_nsec;
	uint64_t size;		/* regular files only */
	dev_t rdev;		/* character and block devices only */
	const char *symlink;	/* symlinks: the target, 1..4095 bytes */
	const void *data;	/* regular files: size bytes, or NULL for a hole */
	const struct erofs_xattr *xattrs;
	size_t nxattrs;
};

struct erofs_writer;

int erofs_writer_new(struct erofs_writer **w, struct error **err);

/*
 * The filesystem's UUID (all zero unless set). Overlayfs tells its
 * layers' filesystems apart by it: two lower layers with the same (or a
 * null) UUID turn its index off, and hardlinks split at copy-up.
 */
void erofs_writer_set_uuid(struct erofs_writer *w, const uint8_t uuid[16]);

/*
 * Check and copy one entry; *index (may be NULL) gets its index. Errors
 * name the entry: bad name, type, size, rdev, xattr, hardlink target.
 */
int erofs_writer_add(struct erofs_writer *w, const struct erofs_entry *e,
		     uint32_t *index, struct error **err);

/*
 * Check the tree (one root; parents are directories; every entry
 * reachable; no name twice in a directory) and write the image to FD
 * from its current offset with write(2), sequentially: a new or
 * truncated file, or a pipe. May be called more than once.
 */
int erofs_writer_write(struct erofs_writer *w, int fd, struct error **err);

void erofs_writer_free(struct erofs_writer *w);

#endif
