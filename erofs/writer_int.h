/* SPDX-License-Identifier: MIT */
/* The writer's internals, shared by its files; not part of the API. */
#ifndef OVLMIG_EROFS_WRITER_INT_H
#define OVLMIG_EROFS_WRITER_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "arena.h"
#include "erofs_writer.h"

#define EW_NOT_SHARED UINT32_MAX

struct ew_xattr {
	const char *suffix;	/* the name after its prefix */
	const void *value;
	uint32_t shared;	/* id in the shared table, or EW_NOT_SHARED */
	uint16_t value_size;
	uint8_t index;		/* EROFS_XATTR_INDEX_* */
	uint8_t suffix_len;
};

struct ew_entry {
	const char *name;
	const void *payload;	/* symlink target or file data, or NULL */
	uint64_t size;
	int64_t mtime;
	uint32_t mtime_nsec;
	uint32_t parent;
	uint32_t link;		/* the entry that owns the inode: itself unless a hardlink */
	uint32_t mode, uid, gid;
	uint32_t rdev;		/* encoded as the kernel's new_encode_dev() */
	uint32_t xattr_first, nxattrs;
	uint16_t name_len;
};

struct erofs_writer {
	struct ew_entry *entries;
	size_t count, cap;
	struct ew_xattr *xattrs;
	size_t nxattrs, xattrs_cap;
	uint32_t root;		/* EROFS_NO_PARENT until added */
	uint8_t uuid[16];
	struct arena arena;
};

/* one name in a directory, "." and ".." included */
struct ew_dirent {
	const char *name;
	uint32_t inode;		/* the entry owning the inode it names */
	uint32_t entry;		/* the entry of this name; EROFS_NO_PARENT for . and .. */
	uint16_t len;
};

/* where and how each inode is written; indexed like the entries */
struct ew_inode {
	uint64_t pos;		/* byte offset of the inode in the image */
	uint64_t size;		/* i_size (directories: their dirent blocks) */
	uint32_t nlink;
	uint32_t ino;
	uint32_t blkaddr;	/* first data block outside the metadata */
	uint32_t nblocks;	/* data blocks outside the metadata */
	uint32_t tail;		/* data bytes inline after the inode */
	uint32_t xattr_size;	/* inline xattr area, header included */
	uint32_t dirent_first, ndirents;	/* directories */
	uint32_t tail_dirent;	/* directories: first dirent of the last block */
	uint64_t chunks;	/* chunk-based: entries of the block map */
	uint8_t chunkbits;
	uint8_t layout;		/* EROFS_LAYOUT_* */
	uint8_t extended;
	uint8_t nshared;	/* shared xattrs referenced */
	bool placed;
};

struct ew_layout {
	struct ew_inode *ino;
	struct ew_dirent *dirents;
	size_t ndirents;
	uint32_t *order;	/* inodes in the order they are written */
	size_t ninodes;
	uint32_t *shared;	/* one xattr (index into w->xattrs) per shared id order */
	size_t nshared;
	uint64_t build_time;
	uint32_t build_time_nsec;
	uint64_t meta_end;	/* end of the last inode */
	uint32_t xattr_blkaddr;	/* the shared xattr table */
	uint64_t shared_size;
	uint32_t data_blkaddr;	/* the first data block */
	uint32_t blocks;	/* the whole image */
	bool chunked;		/* any chunk-based inode */
};

/* "/a/b" for entry IDX, escaped for a message; NULL on ENOMEM */
char *ew_path(const struct erofs_writer *w, uint32_t idx);
/* wrap *err with the entry's path; returns -1 */
int ew_wrap_entry(const struct erofs_writer *w, uint32_t idx, struct error **err);

/* xattr.c */
int ew_xattr_parse(const char *name, uint8_t *index, const char **suffix,
		   size_t *suffix_len);
int ew_xattr_share(struct erofs_writer *w, struct ew_layout *l, struct error **err);
int ew_xattr_sizes(struct erofs_writer *w, struct ew_layout *l, struct error **err);
size_t ew_xattr_entry_size(const struct ew_xattr *x);
void ew_xattr_encode(const struct ew_xattr *x, unsigned char *out);

/* tree.c: dirents, nlink, reachability, the inode order */
int ew_tree_build(struct erofs_writer *w, struct ew_layout *l, struct error **err);

/* layout.c: sizes, inode places and blocks */
int ew_layout_place(struct erofs_writer *w, struct ew_layout *l, struct error **err);
/* how many dirents from FIRST (before END) fill one block, *used its bytes */
uint32_t ew_dir_block_count(const struct ew_layout *l, uint32_t first,
			    uint32_t end, size_t *used);

/* emit.c */
int ew_emit(struct erofs_writer *w, struct ew_layout *l, int fd, struct error **err);

static inline bool ew_is_inode(const struct erofs_writer *w, uint32_t i)
{
	return w->entries[i].link == i;
}

#endif
