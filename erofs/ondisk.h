/* SPDX-License-Identifier: MIT */
/*
 * The EROFS on-disk format, as far as this writer uses it: uncompressed
 * images with 4 KiB blocks, flat and chunk-based inodes, inline and
 * shared xattrs. Every field is little-endian on disk; the writer fills
 * these structs through htole*() and writes them as they are.
 */
#ifndef OVLMIG_EROFS_ONDISK_H
#define OVLMIG_EROFS_ONDISK_H

#include <stdint.h>

#define EROFS_MAGIC		0xE0F5E1E2U
#define EROFS_SUPER_OFFSET	1024
#define EROFS_BLKBITS		12
#define EROFS_BLKSIZE		(1U << EROFS_BLKBITS)
#define EROFS_SLOTBITS		5	/* nid = offset in the metadata area / 32 */
#define EROFS_SLOTSIZE		(1U << EROFS_SLOTBITS)
#define EROFS_NAME_MAX		255

#define EROFS_FEATURE_INCOMPAT_CHUNKED_FILE	0x00000004

/* i_format: bit 0 the inode's version, bits 1-3 its data layout */
#define EROFS_INODE_COMPACT	0
#define EROFS_INODE_EXTENDED	1
#define EROFS_LAYOUT_FLAT_PLAIN		0
#define EROFS_LAYOUT_FLAT_INLINE	2
#define EROFS_LAYOUT_CHUNK_BASED	4

/* chunk-based inodes: chunk size = block size << (format & mask) */
#define EROFS_CHUNK_BLKBITS_MASK	0x1F
#define EROFS_NULL_ADDR			0xFFFFFFFFU	/* a chunk that is a hole */

/* xattr name prefixes, by index */
#define EROFS_XATTR_INDEX_USER			1
#define EROFS_XATTR_INDEX_POSIX_ACL_ACCESS	2
#define EROFS_XATTR_INDEX_POSIX_ACL_DEFAULT	3
#define EROFS_XATTR_INDEX_TRUSTED		4
#define EROFS_XATTR_INDEX_SECURITY		6

/* directory entry file types (the kernel's FT_*) */
enum {
	EROFS_FT_UNKNOWN, EROFS_FT_REG_FILE, EROFS_FT_DIR, EROFS_FT_CHRDEV,
	EROFS_FT_BLKDEV, EROFS_FT_FIFO, EROFS_FT_SOCK, EROFS_FT_SYMLINK,
};

struct erofs_super_block {
	uint32_t magic;
	uint32_t checksum;
	uint32_t feature_compat;
	uint8_t blkszbits;
	uint8_t sb_extslots;
	uint16_t root_nid;
	uint64_t inos;
	uint64_t build_time;	/* the times of every compact inode */
	uint32_t build_time_nsec;
	uint32_t blocks;
	uint32_t meta_blkaddr;
	uint32_t xattr_blkaddr;
	uint8_t uuid[16];
	uint8_t volume_name[16];
	uint32_t feature_incompat;
	uint16_t available_compr_algs;
	uint16_t extra_devices;
	uint16_t devt_slotoff;
	uint8_t dirblkbits;
	uint8_t xattr_prefix_count;
	uint32_t xattr_prefix_start;
	uint64_t packed_nid;
	uint8_t xattr_filter_reserved;
	uint8_t reserved2[23];
} __attribute__((packed));

/* 32 bytes: uid/gid/nlink in 16 bits, size in 32, times = build time */
struct erofs_inode_compact {
	uint16_t i_format;
	uint16_t i_xattr_icount;
	uint16_t i_mode;
	uint16_t i_nlink;
	uint32_t i_size;
	uint32_t i_reserved;
	uint32_t i_u;		/* block address, rdev or chunk format */
	uint32_t i_ino;
	uint16_t i_uid;
	uint16_t i_gid;
	uint32_t i_reserved2;
} __attribute__((packed));

/* 64 bytes: everything in full */
struct erofs_inode_extended {
	uint16_t i_format;
	uint16_t i_xattr_icount;
	uint16_t i_mode;
	uint16_t i_reserved;
	uint64_t i_size;
	uint32_t i_u;
	uint32_t i_ino;
	uint32_t i_uid;
	uint32_t i_gid;
	uint64_t i_mtime;
	uint32_t i_mtime_nsec;
	uint32_t i_nlink;
	uint8_t i_reserved2[16];
} __attribute__((packed));

/* the inline xattr area starts with this, then the shared xattr ids */
struct erofs_xattr_ibody_header {
	uint32_t h_name_filter;	/* only read with the xattr filter feature */
	uint8_t h_shared_count;
	uint8_t h_reserved2[7];
} __attribute__((packed));

/* an xattr entry (inline or shared): then the name suffix, the value, padding to 4 */
struct erofs_xattr_entry {
	uint8_t e_name_len;
	uint8_t e_name_index;
	uint16_t e_value_size;
} __attribute__((packed));

/* directory blocks: dirents sorted by name, then the names, no NULs */
struct erofs_dirent {
	uint64_t nid;
	uint16_t nameoff;
	uint8_t file_type;
	uint8_t reserved;
} __attribute__((packed));

_Static_assert(sizeof(struct erofs_super_block) == 128, "superblock");
_Static_assert(sizeof(struct erofs_inode_compact) == 32, "compact inode");
_Static_assert(sizeof(struct erofs_inode_extended) == 64, "extended inode");
_Static_assert(sizeof(struct erofs_xattr_ibody_header) == 12, "xattr header");
_Static_assert(sizeof(struct erofs_xattr_entry) == 4, "xattr entry");
_Static_assert(sizeof(struct erofs_dirent) == 12, "dirent");

#endif
