// SPDX-License-Identifier: MIT
/* The image, written front to back in one pass through a buffer. */
#include "writer_int.h"

#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../common/util.h"
#include "ondisk.h"

#define OUT_BUFFER (1024 * 1024)

struct out {
	int fd;
	unsigned char *buf;
	size_t used;
	uint64_t pos;		/* bytes of the image produced so far */
};

static int out_flush(struct out *o, struct error **err)
{
	if (o->used && write_all(o->fd, o->buf, o->used) < 0)
		return error_set(err, errno, "write at %ju", (uintmax_t)(o->pos - o->used));
	o->used = 0;
	return 0;
}

/* Room for N (at most OUT_BUFFER) contiguous bytes, to be filled by the caller. */
static unsigned char *out_reserve(struct out *o, size_t n, struct error **err)
{
	unsigned char *p;

	if (OUT_BUFFER - o->used < n && out_flush(o, err) < 0)
		return NULL;
	p = o->buf + o->used;
	o->used += n;
	o->pos += n;
	return p;
}

static int out_put(struct out *o, const void *data, size_t n, struct error **err)
{
	const unsigned char *p = data;

	while (n) {
		size_t step = n < OUT_BUFFER ? n : OUT_BUFFER;
		unsigned char *dst = out_reserve(o, step, err);

		if (!dst)
			return -1;
		memcpy(dst, p, step);
		p += step;
		n -= step;
	}
	return 0;
}

static int out_fill(struct out *o, int byte, uint64_t n, struct error **err)
{
	while (n) {
		size_t step = n < OUT_BUFFER ? (size_t)n : OUT_BUFFER;
		unsigned char *dst = out_reserve(o, step, err);

		if (!dst)
			return -1;
		memset(dst, byte, step);
		n -= step;
	}
	return 0;
}

/* Zeros up to POS; being past it already would be a layout bug. */
static int out_pad_to(struct out *o, uint64_t pos, struct error **err)
{
	if (o->pos > pos)
		return error_set_msg(err, EFAULT, "layout overlaps at %ju (expected %ju)",
				     (uintmax_t)o->pos, (uintmax_t)pos);
	return out_fill(o, 0, pos - o->pos, err);
}

static int super_block(struct erofs_writer *w, struct ew_layout *l,
		       struct out *o, struct error **err)
{
	struct erofs_super_block sb = {
		.magic = htole32(EROFS_MAGIC),
		.blkszbits = EROFS_BLKBITS,
		.root_nid = htole16((uint16_t)(l->ino[w->root].pos >> EROFS_SLOTBITS)),
		.inos = htole64(l->ninodes),
		.build_time = htole64(l->build_time),
		.build_time_nsec = htole32(l->build_time_nsec),
		.blocks = htole32(l->blocks),
		.meta_blkaddr = 0,
		.xattr_blkaddr = htole32(l->xattr_blkaddr),
		.feature_incompat = htole32(l->chunked ? EROFS_FEATURE_INCOMPAT_CHUNKED_FILE : 0),
	};

	memcpy(sb.uuid, w->uuid, sizeof(sb.uuid));

	/* the root comes first, within the first block: its nid fits 16 bits */
	if ((l->ino[w->root].pos >> EROFS_SLOTBITS) > UINT16_MAX)
		return error_set_msg(err, EFAULT, "root inode placed too far");
	if (out_pad_to(o, EROFS_SUPER_OFFSET, err) < 0)
		return -1;
	return out_put(o, &sb, sizeof(sb), err);
}

static uint8_t file_type(uint32_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG: return EROFS_FT_REG_FILE;
	case S_IFDIR: return EROFS_FT_DIR;
	case S_IFCHR: return EROFS_FT_CHRDEV;
	case S_IFBLK: return EROFS_FT_BLKDEV;
	case S_IFIFO: return EROFS_FT_FIFO;
	case S_IFSOCK: return EROFS_FT_SOCK;
	case S_IFLNK: return EROFS_FT_SYMLINK;
	default: return EROFS_FT_UNKNOWN;
	}
}

/*
 * One directory block from dirent *next on: the dirents, then their
 * names (no NULs), zeros after. Returns the bytes used.
 */
static size_t dir_block(struct erofs_writer *w, struct ew_layout *l,
			const struct ew_inode *d, uint32_t *next,
			unsigned char *blk)
{
	uint32_t end = d->dirent_first + d->ndirents, k;
	size_t used, nameoff;
	uint32_t n = ew_dir_block_count(l, *next, end, &used);

	nameoff = n * sizeof(struct erofs_dirent);
	for (k = 0; k < n; k++) {
		const struct ew_dirent *de = &l->dirents[*next + k];
		struct erofs_dirent raw = {
			.nid = htole64(l->ino[de->inode].pos >> EROFS_SLOTBITS),
			.nameoff = htole16((uint16_t)nameoff),
			.file_type = file_type(w->entries[de->inode].mode),
		};

		memcpy(blk + k * sizeof(raw), &raw, sizeof(raw));
		memcpy(blk + nameoff, de->name, de->len);
		nameoff += de->len;
	}
	memset(blk + used, 0, EROFS_BLKSIZE - used);
	*next += n;
	return used;
}

static void inode_core(struct erofs_writer *w, struct ew_layout *l, uint32_t i,
		       unsigned char *out)
{
	const struct ew_entry *e = &w->entries[i];
	const struct ew_inode *ino = &l->ino[i];
	uint16_t format = (uint16_t)(ino->extended | (ino->layout << 1));
	uint16_t icount = ino->xattr_size ?
		(uint16_t)((ino->xattr_size - sizeof(struct erofs_xattr_ibody_header)) / 4 + 1) : 0;
	uint32_t u = ino->blkaddr;

	if (ino->layout == EROFS_LAYOUT_CHUNK_BASED)
		u = ino->chunkbits - EROFS_BLKBITS;	/* a block map, no chunk indexes */
	else if (S_ISCHR(e->mode) || S_ISBLK(e->mode))
		u = e->rdev;
	if (ino->extended) {
		struct erofs_inode_extended x = {
			.i_format = htole16(format),
			.i_xattr_icount = htole16(icount),
			.i_mode = htole16((uint16_t)e->mode),
			.i_size = htole64(ino->size),
			.i_u = htole32(u),
			.i_ino = htole32(ino->ino),
			.i_uid = htole32(e->uid),
			.i_gid = htole32(e->gid),
			.i_mtime = htole64((uint64_t)e->mtime),
			.i_mtime_nsec = htole32(e->mtime_nsec),
			.i_nlink = htole32(ino->nlink),
		};
		memcpy(out, &x, sizeof(x));
	} else {
		struct erofs_inode_compact c = {
			.i_format = htole16(format),
			.i_xattr_icount = htole16(icount),
			.i_mode = htole16((uint16_t)e->mode),
			.i_nlink = htole16((uint16_t)ino->nlink),
			.i_size = htole32((uint32_t)ino->size),
			.i_u = htole32(u),
			.i_ino = htole32(ino->ino),
			.i_uid = htole16((uint16_t)e->uid),
			.i_gid = htole16((uint16_t)e->gid),
		};
		memcpy(out, &c, sizeof(c));
	}
}

static int inode_xattrs(struct erofs_writer *w, struct ew_layout *l, uint32_t i,
			struct out *o, struct error **err)
{
	const struct ew_entry *e = &w->entries[i];
	struct erofs_xattr_ibody_header h = { .h_shared_count = l->ino[i].nshared };
	unsigned char *p;
	uint32_t k;

	if (!l->ino[i].xattr_size)
		return 0;
	if (out_put(o, &h, sizeof(h), err) < 0)
		return -1;
	for (k = 0; k < e->nxattrs; k++) {
		uint32_t id = htole32(w->xattrs[e->xattr_first + k].shared);

		if (w->xattrs[e->xattr_first + k].shared != EW_NOT_SHARED &&
		    out_put(o, &id, sizeof(id), err) < 0)
			return -1;
	}
	for (k = 0; k < e->nxattrs; k++) {
		const struct ew_xattr *x = &w->xattrs[e->xattr_first + k];

		if (x->shared != EW_NOT_SHARED)
			continue;
		p = out_reserve(o, ew_xattr_entry_size(x), err);
		if (!p)
			return -1;
		ew_xattr_encode(x, p);
	}
	return 0;
}

/* Block BLK (of its data, from 0) of inode I, BYTES long (a whole block or the tail). */
static int data_block(struct erofs_writer *w, struct ew_layout *l, uint32_t i,
		      uint64_t blk, uint32_t *next_dirent, size_t bytes,
		      struct out *o, struct error **err)
{
	const struct ew_entry *e = &w->entries[i];
	const unsigned char *src;
	unsigned char *p = out_reserve(o, bytes, err);
	uint64_t off = blk << EROFS_BLKBITS, have;

	if (!p)
		return -1;
	if (S_ISDIR(e->mode)) {
		unsigned char block[EROFS_BLKSIZE];

		dir_block(w, l, &l->ino[i], next_dirent, block);
		memcpy(p, block, bytes);
		return 0;
	}
	src = e->payload;
	have = e->size - off < bytes ? e->size - off : bytes;
	memcpy(p, src + off, have);
	memset(p + have, 0, bytes - have);
	return 0;
}

static int inode_record(struct erofs_writer *w, struct ew_layout *l, uint32_t i,
			struct out *o, struct error **err)
{
	struct ew_inode *ino = &l->ino[i];
	unsigned char *p;
	size_t core = ino->extended ? sizeof(struct erofs_inode_extended) :
		sizeof(struct erofs_inode_compact);

	if (out_pad_to(o, ino->pos, err) < 0)
		return -1;
	p = out_reserve(o, core, err);
	if (!p)
		return -1;
	inode_core(w, l, i, p);
	if (inode_xattrs(w, l, i, o, err) < 0)
		return -1;
	if (ino->layout == EROFS_LAYOUT_CHUNK_BASED)
		return out_fill(o, 0xff, ino->chunks * 4, err);	/* EROFS_NULL_ADDR */
	if (ino->tail) {
		uint32_t next = ino->tail_dirent;

		return data_block(w, l, i, ino->nblocks, &next, ino->tail, o, err);
	}
	return 0;
}

static int shared_xattrs(struct erofs_writer *w, struct ew_layout *l,
			 struct out *o, struct error **err)
{
	size_t k;

	if (out_pad_to(o, (uint64_t)l->xattr_blkaddr << EROFS_BLKBITS, err) < 0)
		return -1;
	for (k = 0; k < l->nshared; k++) {
		const struct ew_xattr *x = &w->xattrs[l->shared[k]];
		unsigned char *p = out_reserve(o, ew_xattr_entry_size(x), err);

		if (!p)
			return -1;
		ew_xattr_encode(x, p);
	}
	return 0;
}

static int data_blocks(struct erofs_writer *w, struct ew_layout *l,
		       struct out *o, struct error **err)
{
	size_t k;

	if (out_pad_to(o, (uint64_t)l->data_blkaddr << EROFS_BLKBITS, err) < 0)
		return -1;
	for (k = 0; k < l->ninodes; k++) {
		uint32_t i = l->order[k], next = l->ino[i].dirent_first;
		const struct ew_inode *ino = &l->ino[i];
		uint64_t b;

		if (!ino->nblocks)
			continue;
		if (out_pad_to(o, (uint64_t)ino->blkaddr << EROFS_BLKBITS, err) < 0)
			return -1;
		for (b = 0; b < ino->nblocks; b++)
			if (data_block(w, l, i, b, &next, EROFS_BLKSIZE, o, err) < 0)
				return -1;
	}
	return out_pad_to(o, (uint64_t)l->blocks << EROFS_BLKBITS, err);
}

int ew_emit(struct erofs_writer *w, struct ew_layout *l, int fd, struct error **err)
{
	struct out o = { .fd = fd };
	size_t k;
	int ret = -1;

	o.buf = malloc(OUT_BUFFER);
	if (!o.buf)
		return error_set(err, ENOMEM, "output buffer");
	if (super_block(w, l, &o, err) < 0)
		goto out;
	for (k = 0; k < l->ninodes; k++) {
		if (inode_record(w, l, l->order[k], &o, err) < 0) {
			ew_wrap_entry(w, l->order[k], err);
			goto out;
		}
	}
	if (shared_xattrs(w, l, &o, err) < 0 || data_blocks(w, l, &o, err) < 0 ||
	    out_flush(&o, err) < 0)
		goto out;
	ret = 0;
out:
	free(o.buf);
	return ret;
}
