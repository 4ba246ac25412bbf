// SPDX-License-Identifier: MIT
/*
 * Where everything goes, computed before anything is written:
 *
 *   block 0: superblock at 1024, then the inodes (meta_blkaddr 0, so a
 *            nid is the inode's byte offset / 32), each followed by its
 *            xattrs and then its chunk map or inline tail;
 *   then the shared xattr table, from a block boundary;
 *   then the data blocks of directories, symlinks and files whose last
 *   block did not fit inline.
 *
 * A tail (the part of the data after its last full block) stays inline
 * when it fits in the block it would start in: the kernel refuses a
 * tail that crosses a block. Regular files without data are chunk-based
 * with every chunk a hole: the right st_size, zeros when read, no blocks.
 */
#include "writer_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ondisk.h"

#define BLOCKS(bytes) (((bytes) + EROFS_BLKSIZE - 1) >> EROFS_BLKBITS)

uint32_t ew_dir_block_count(const struct ew_layout *l, uint32_t first,
			    uint32_t end, size_t *used)
{
	size_t bytes = 0;
	uint32_t k;

	for (k = first; k < end; k++) {
		size_t need = sizeof(struct erofs_dirent) + l->dirents[k].len;

		if (bytes + need > EROFS_BLKSIZE)
			break;
		bytes += need;
	}
	*used = bytes;
	return k - first;
}

/* A directory's size: its full blocks, then the bytes of the last one. */
static void size_dir(struct ew_layout *l, struct ew_inode *d)
{
	uint32_t k = d->dirent_first, end = d->dirent_first + d->ndirents;
	uint64_t blocks = 0;
	size_t used = 0;

	while (k < end) {
		uint32_t n = ew_dir_block_count(l, k, end, &used);

		d->tail_dirent = k;
		k += n;
		if (k < end)
			blocks++;
	}
	d->size = (blocks << EROFS_BLKBITS) + used;
}

static int cmp_mtime(const void *a, const void *b, void *entries)
{
	const struct ew_entry *x = (const struct ew_entry *)entries + *(const uint32_t *)a;
	const struct ew_entry *y = (const struct ew_entry *)entries + *(const uint32_t *)b;

	if (x->mtime != y->mtime)
		return x->mtime < y->mtime ? -1 : 1;
	if (x->mtime_nsec != y->mtime_nsec)
		return x->mtime_nsec < y->mtime_nsec ? -1 : 1;
	return 0;
}

/*
 * Compact inodes all have the superblock's build time: make it the most
 * common mtime, so that most inodes can be compact.
 */
static int choose_build_time(struct erofs_writer *w, struct ew_layout *l,
			     struct error **err)
{
	uint32_t *by_time = malloc(l->ninodes * sizeof(*by_time));
	size_t i, j, best = 0, best_run = 0;

	if (!by_time)
		return error_set(err, ENOMEM, "sort %zu times", l->ninodes);
	memcpy(by_time, l->order, l->ninodes * sizeof(*by_time));
	qsort_r(by_time, l->ninodes, sizeof(*by_time), cmp_mtime, w->entries);
	for (i = 0; i < l->ninodes; i = j) {
		for (j = i + 1; j < l->ninodes &&
		     !cmp_mtime(&by_time[i], &by_time[j], w->entries); j++)
			;
		if (j - i > best_run) {
			best_run = j - i;
			best = i;
		}
	}
	l->build_time = (uint64_t)w->entries[by_time[best]].mtime;
	l->build_time_nsec = w->entries[by_time[best]].mtime_nsec;
	free(by_time);
	return 0;
}

static bool needs_extended(const struct erofs_writer *w, const struct ew_layout *l,
			   uint32_t i)
{
	const struct ew_entry *e = &w->entries[i];
	const struct ew_inode *ino = &l->ino[i];

	return e->uid > UINT16_MAX || e->gid > UINT16_MAX ||
	       ino->nlink > UINT16_MAX || ino->size > UINT32_MAX ||
	       (uint64_t)e->mtime != l->build_time || e->mtime_nsec != l->build_time_nsec;
}

/* The smallest chunk size (a power of two, at most block << 31) that holds SIZE. */
static uint8_t chunkbits_for(uint64_t size)
{
	uint8_t bits = EROFS_BLKBITS;

	while (bits < EROFS_BLKBITS + EROFS_CHUNK_BLKBITS_MASK && (1ULL << bits) < size)
		bits++;
	return bits;
}

static bool tail_fits(uint64_t pos, uint64_t head, uint32_t tail)
{
	return ((pos + head) & (EROFS_BLKSIZE - 1)) + tail <= EROFS_BLKSIZE;
}

/* Place one inode at *pos (32-byte aligned); *pos becomes its end. */
static int place_inode(struct erofs_writer *w, struct ew_layout *l, uint32_t i,
		       uint64_t *pos, struct error **err)
{
	const struct ew_entry *e = &w->entries[i];
	struct ew_inode *ino = &l->ino[i];
	uint64_t at = (*pos + EROFS_SLOTSIZE - 1) & ~(uint64_t)(EROFS_SLOTSIZE - 1);
	uint64_t head, extra = 0;

	ino->extended = needs_extended(w, l, i);
	head = (ino->extended ? sizeof(struct erofs_inode_extended) :
		sizeof(struct erofs_inode_compact)) + ino->xattr_size;
	ino->layout = EROFS_LAYOUT_FLAT_PLAIN;
	ino->tail = 0;
	ino->nblocks = 0;
	ino->chunks = 0;
	if (S_ISREG(e->mode) && !e->payload && ino->size) {
		ino->layout = EROFS_LAYOUT_CHUNK_BASED;
		ino->chunkbits = chunkbits_for(ino->size);
		ino->chunks = ((ino->size - 1) >> ino->chunkbits) + 1;
		extra = ino->chunks * 4;
		l->chunked = true;
	} else if (ino->size && (S_ISREG(e->mode) || S_ISDIR(e->mode) || S_ISLNK(e->mode))) {
		uint32_t tail = (uint32_t)(ino->size & (EROFS_BLKSIZE - 1));
		uint64_t next_block = (at + EROFS_BLKSIZE - 1) & ~(uint64_t)(EROFS_BLKSIZE - 1);
		bool inline_here = tail && tail_fits(at, head, tail);

		/* moving to the next block wastes less than a block of its own */
		if (tail && !inline_here && tail_fits(next_block, head, tail) &&
		    next_block - at <= EROFS_BLKSIZE - tail) {
			at = next_block;
			inline_here = true;
		}
		if (inline_here) {
			ino->layout = EROFS_LAYOUT_FLAT_INLINE;
			ino->tail = tail;
			extra = tail;
		}
		if (BLOCKS(ino->size - ino->tail) > UINT32_MAX)
			goto too_large;
		ino->nblocks = (uint32_t)BLOCKS(ino->size - ino->tail);
	}
	ino->pos = at;
	if (__builtin_add_overflow(at, head, pos) || __builtin_add_overflow(*pos, extra, pos))
		goto too_large;
	return 0;
too_large:
	error_set_msg(err, EFBIG, "image too large");
	return ew_wrap_entry(w, i, err);
}

int ew_layout_place(struct erofs_writer *w, struct ew_layout *l, struct error **err)
{
	uint64_t pos = EROFS_SUPER_OFFSET + sizeof(struct erofs_super_block);
	uint64_t next;
	size_t k;

	for (k = 0; k < l->ninodes; k++) {
		uint32_t i = l->order[k];
		const struct ew_entry *e = &w->entries[i];

		if (S_ISDIR(e->mode))
			size_dir(l, &l->ino[i]);
		else
			l->ino[i].size = e->size;
		l->ino[i].ino = (uint32_t)k + 1;
	}
	if (choose_build_time(w, l, err) < 0)
		return -1;
	l->chunked = false;
	for (k = 0; k < l->ninodes; k++)
		if (place_inode(w, l, l->order[k], &pos, err) < 0)
			return -1;
	l->meta_end = pos;
	next = BLOCKS(pos);
	l->xattr_blkaddr = (uint32_t)(next <= UINT32_MAX ? next : 0);
	next += BLOCKS(l->shared_size);
	if (next > UINT32_MAX)
		return error_set_msg(err, EFBIG, "image too large: metadata of %ju bytes",
				     (uintmax_t)pos);
	l->data_blkaddr = (uint32_t)next;
	for (k = 0; k < l->ninodes; k++) {
		struct ew_inode *ino = &l->ino[l->order[k]];

		ino->blkaddr = ino->nblocks ? (uint32_t)next : 0;
		next += ino->nblocks;
		if (next > UINT32_MAX) {
			error_set_msg(err, EFBIG, "image too large: more than 2^32 blocks");
			return ew_wrap_entry(w, l->order[k], err);
		}
	}
	l->blocks = (uint32_t)next;
	return 0;
}
