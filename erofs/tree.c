// SPDX-License-Identifier: MIT
/*
 * The tree as a whole: every parent a directory, each directory's names
 * sorted with "." and ".." (the kernel looks names up by binary search),
 * no name twice, link counts, every entry reachable from the root, and
 * the order inodes are written in: breadth first, so that a directory's
 * children sit next to each other.
 */
#include "writer_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int check_parents(struct erofs_writer *w, struct error **err)
{
	uint32_t i, p;

	for (i = 0; i < w->count; i++) {
		if (i == w->root)
			continue;
		p = w->entries[i].parent;
		if (p >= w->count)
			error_set_msg(err, EINVAL, "parent %u was never added", p);
		else if (!ew_is_inode(w, p) || !S_ISDIR(w->entries[p].mode))
			error_set_msg(err, ENOTDIR, "parent %u is not a directory", p);
		else
			continue;
		return ew_wrap_entry(w, i, err);
	}
	return 0;
}

/* Byte order, a prefix first: the kernel's erofs_dirnamecmp(). */
static int dirent_cmp(const void *a, const void *b)
{
	const struct ew_dirent *x = a, *y = b;
	int c = memcmp(x->name, y->name, x->len < y->len ? x->len : y->len);

	if (c)
		return c;
	return (int)x->len - (int)y->len;
}

static struct ew_dirent dot(const char *name, uint32_t inode)
{
	return (struct ew_dirent){ .name = name, .len = (uint16_t)strlen(name),
				   .inode = inode, .entry = EROFS_NO_PARENT };
}

/* Lay out every directory's dirents: counted, placed, sorted, checked. */
static int fill_dirents(struct erofs_writer *w, struct ew_layout *l,
			struct error **err)
{
	size_t total = 0;
	uint32_t i;

	for (i = 0; i < w->count; i++) {
		if (i != w->root)
			l->ino[w->entries[i].parent].ndirents++;
		if (S_ISDIR(w->entries[i].mode) && ew_is_inode(w, i))
			l->ino[i].ndirents += 2;
	}
	for (i = 0; i < w->count; i++) {
		if (!ew_is_inode(w, i) || !S_ISDIR(w->entries[i].mode))
			continue;
		l->ino[i].dirent_first = (uint32_t)total;
		total += l->ino[i].ndirents;
		l->ino[i].ndirents = 0;		/* counted again as filled */
	}
	if (total > UINT32_MAX)
		return error_set_msg(err, EOVERFLOW, "too many names");
	l->dirents = malloc((total ? total : 1) * sizeof(*l->dirents));
	if (!l->dirents)
		return error_set(err, ENOMEM, "%zu names", total);
	l->ndirents = total;
	for (i = 0; i < w->count; i++) {
		const struct ew_entry *e = &w->entries[i];
		struct ew_inode *d;

		if (ew_is_inode(w, i) && S_ISDIR(e->mode)) {
			d = &l->ino[i];
			l->dirents[d->dirent_first + d->ndirents++] = dot(".", i);
			l->dirents[d->dirent_first + d->ndirents++] =
				dot("..", i == w->root ? i : e->parent);
		}
		if (i == w->root)
			continue;
		d = &l->ino[e->parent];
		l->dirents[d->dirent_first + d->ndirents++] = (struct ew_dirent){
			.name = e->name, .len = e->name_len, .inode = e->link, .entry = i,
		};
	}
	for (i = 0; i < w->count; i++) {
		struct ew_inode *d = &l->ino[i];
		struct ew_dirent *de = l->dirents + d->dirent_first;
		uint32_t k;

		if (!ew_is_inode(w, i) || !S_ISDIR(w->entries[i].mode))
			continue;
		qsort(de, d->ndirents, sizeof(*de), dirent_cmp);
		for (k = 1; k < d->ndirents; k++) {
			if (dirent_cmp(&de[k - 1], &de[k]))
				continue;
			error_set_msg(err, EEXIST, "name given twice in its directory");
			return ew_wrap_entry(w, de[k].entry, err);
		}
	}
	return 0;
}

static void count_links(struct erofs_writer *w, struct ew_layout *l)
{
	uint32_t i;

	for (i = 0; i < w->count; i++)
		if (ew_is_inode(w, i))
			l->ino[i].nlink = S_ISDIR(w->entries[i].mode) ? 2 : 0;
	for (i = 0; i < w->count; i++) {
		const struct ew_entry *e = &w->entries[i];

		if (i == w->root)
			continue;
		if (S_ISDIR(w->entries[e->link].mode))
			l->ino[e->parent].nlink++;	/* the child's ".." */
		else
			l->ino[e->link].nlink++;
	}
}

/* Breadth first from the root; an inode comes at its first name. */
static int order_inodes(struct erofs_writer *w, struct ew_layout *l,
			struct error **err)
{
	size_t head, n = 0;
	uint32_t i;

	l->order = malloc(w->count * sizeof(*l->order));
	if (!l->order)
		return error_set(err, ENOMEM, "order %zu entries", w->count);
	l->order[n++] = w->root;
	l->ino[w->root].placed = true;
	for (head = 0; head < n; head++) {
		const struct ew_inode *d = &l->ino[l->order[head]];
		uint32_t k;

		if (!S_ISDIR(w->entries[l->order[head]].mode))
			continue;
		for (k = 0; k < d->ndirents; k++) {
			const struct ew_dirent *de = &l->dirents[d->dirent_first + k];

			if (de->entry == EROFS_NO_PARENT || l->ino[de->inode].placed)
				continue;
			l->ino[de->inode].placed = true;
			l->order[n++] = de->inode;
		}
	}
	l->ninodes = n;
	/* a directory that is its own ancestor hangs nowhere */
	for (i = 0; i < w->count; i++) {
		if (i == w->root || l->ino[w->entries[i].parent].placed)
			continue;
		error_set_msg(err, ELOOP, "not reachable from the root (its parents form a loop)");
		return ew_wrap_entry(w, i, err);
	}
	return 0;
}

int ew_tree_build(struct erofs_writer *w, struct ew_layout *l, struct error **err)
{
	if (check_parents(w, err) < 0 || fill_dirents(w, l, err) < 0)
		return -1;
	count_links(w, l);
	return order_inodes(w, l, err);
}
