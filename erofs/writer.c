// SPDX-License-Identifier: MIT
/* The writer's entry list: every entry checked and copied as it is added. */
#include "writer_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "../common/log_escape.h"
#include "ondisk.h"

int erofs_writer_new(struct erofs_writer **w, struct error **err)
{
	*w = calloc(1, sizeof(**w));
	if (!*w)
		return error_set(err, ENOMEM, "new EROFS writer");
	(*w)->root = EROFS_NO_PARENT;
	return 0;
}

void erofs_writer_set_uuid(struct erofs_writer *w, const uint8_t uuid[16])
{
	memcpy(w->uuid, uuid, sizeof(w->uuid));
}

void erofs_writer_free(struct erofs_writer *w)
{
	if (!w)
		return;
	arena_free(&w->arena);
	free(w->entries);
	free(w->xattrs);
	free(w);
}

/* Grow *array (of *cap items of SIZE bytes) to hold at least NEED items. */
static int grow(void **array, size_t *cap, size_t need, size_t size)
{
	size_t ncap = *cap ? *cap : 64;
	void *p;

	if (need <= *cap)
		return 0;
	while (ncap < need) {
		if (ncap > SIZE_MAX / 2)
			return -1;
		ncap *= 2;
	}
	if (ncap > SIZE_MAX / size)
		return -1;
	p = realloc(*array, ncap * size);
	if (!p)
		return -1;
	*array = p;
	*cap = ncap;
	return 0;
}

static bool valid_name(const char *name, size_t len)
{
	if (len == 0 || len > EROFS_NAME_MAX || memchr(name, '/', len))
		return false;
	return strcmp(name, ".") != 0 && strcmp(name, "..") != 0;
}

static int xattr_cmp(const void *a, const void *b)
{
	const struct ew_xattr *x = a, *y = b;
	size_t n = x->suffix_len < y->suffix_len ? x->suffix_len : y->suffix_len;
	int c;

	if (x->index != y->index)
		return x->index < y->index ? -1 : 1;
	c = memcmp(x->suffix, y->suffix, n);
	if (c)
		return c;
	return (int)x->suffix_len - (int)y->suffix_len;
}

static int add_xattrs(struct erofs_writer *w, struct ew_entry *e,
		      const struct erofs_entry *in, struct error **err)
{
	size_t i;

	if (!in->nxattrs)
		return 0;
	if (!in->xattrs)
		return error_set_msg(err, EINVAL, "%zu xattrs, none given", in->nxattrs);
	if (in->nxattrs > UINT32_MAX - w->nxattrs ||
	    grow((void **)&w->xattrs, &w->xattrs_cap, w->nxattrs + in->nxattrs,
		 sizeof(*w->xattrs)) < 0)
		return error_set(err, ENOMEM, "%zu xattrs", in->nxattrs);
	e->xattr_first = (uint32_t)w->nxattrs;
	for (i = 0; i < in->nxattrs; i++) {
		const struct erofs_xattr *src = &in->xattrs[i];
		struct ew_xattr *x = &w->xattrs[w->nxattrs + i];
		const char *suffix;
		size_t suffix_len;

		if (!src->name)
			return error_set(err, EINVAL, "xattr %zu has no name", i);
		if (ew_xattr_parse(src->name, &x->index, &suffix, &suffix_len) < 0) {
			char *name = log_escape(src->name);

			error_set_msg(err, EOPNOTSUPP, "xattr %s: not a name EROFS can store (user., trusted., security. or a POSIX ACL)",
				      name ? name : "?");
			free(name);
			return -1;
		}
		if (src->size > EROFS_XATTR_VALUE_MAX || (src->size && !src->value)) {
			char *name = log_escape(src->name);

			error_set_msg(err, E2BIG, "xattr %s: value of %zu bytes (at most %d)",
				      name ? name : "?", src->size, EROFS_XATTR_VALUE_MAX);
			free(name);
			return -1;
		}
		x->suffix = arena_dup(&w->arena, suffix, suffix_len);
		x->value = arena_dup(&w->arena, src->value, src->size);
		if (!x->suffix || !x->value)
			return error_set(err, ENOMEM, "xattr");
		x->suffix_len = (uint8_t)suffix_len;
		x->value_size = (uint16_t)src->size;
		x->shared = EW_NOT_SHARED;
	}
	/* sorted, a name given twice sits next to itself */
	qsort(w->xattrs + e->xattr_first, in->nxattrs, sizeof(*w->xattrs), xattr_cmp);
	for (i = 1; i < in->nxattrs; i++) {
		if (!xattr_cmp(&w->xattrs[e->xattr_first + i - 1],
			       &w->xattrs[e->xattr_first + i]))
			return error_set_msg(err, EEXIST, "an xattr name given twice");
	}
	e->nxattrs = (uint32_t)in->nxattrs;
	w->nxattrs += in->nxattrs;
	return 0;
}

/* type, mode bits, size, rdev, target, data: what this type of entry allows */
static int check_attrs(const struct erofs_entry *in, struct error **err)
{
	mode_t type = in->mode & S_IFMT;

	if (in->mode & ~(mode_t)(S_IFMT | 07777))
		return error_set_msg(err, EINVAL, "mode %#o has unknown bits", (unsigned)in->mode);
	if (in->mtime_nsec >= 1000000000)
		return error_set_msg(err, EINVAL, "mtime nanoseconds %u out of range", in->mtime_nsec);
	if (in->data && type != S_IFREG)
		return error_set_msg(err, EINVAL, "data given for an entry that is not a regular file");
	if (in->symlink && type != S_IFLNK)
		return error_set_msg(err, EINVAL, "symlink target given for an entry that is not a symlink");
	switch (type) {
	case S_IFREG:
		if (in->size > INT64_MAX || (in->data && in->size > SIZE_MAX))
			return error_set_msg(err, EFBIG, "size %ju too large", (uintmax_t)in->size);
		return 0;
	case S_IFLNK: {
		size_t len = in->symlink ? strnlen(in->symlink, EROFS_SYMLINK_MAX + 1) : 0;

		if (len == 0)
			return error_set_msg(err, ENAMETOOLONG, "empty symlink target");
		if (len > EROFS_SYMLINK_MAX)
			return error_set_msg(err, ENAMETOOLONG, "symlink target longer than %d bytes",
					     EROFS_SYMLINK_MAX);
		return 0;
	}
	case S_IFCHR:
	case S_IFBLK:
		/* the 32-bit new_encode_dev() format: 12-bit major, 20-bit minor */
		if (major(in->rdev) > 0xfff || minor(in->rdev) > 0xfffff)
			return error_set_msg(err, ERANGE, "device %u:%u out of range",
					     major(in->rdev), minor(in->rdev));
		return 0;
	case S_IFDIR:
	case S_IFIFO:
	case S_IFSOCK:
		return 0;
	default:
		return error_set_msg(err, EINVAL, "mode %#o is no file type", (unsigned)in->mode);
	}
}

static uint32_t encode_dev(dev_t dev)
{
	uint32_t ma = major(dev), mi = minor(dev);

	return (mi & 0xff) | (ma << 8) | ((mi & ~0xffU) << 12);
}

static int check_place(struct erofs_writer *w, const struct erofs_entry *in,
		       uint32_t idx, struct error **err)
{
	if (!in->name)
		return error_set_msg(err, EINVAL, "no name");
	if (in->parent == EROFS_NO_PARENT) {
		if (in->name[0])
			return error_set_msg(err, EINVAL, "the root has a name");
		if (!S_ISDIR(in->mode) || in->hardlink != EROFS_NO_LINK)
			return error_set_msg(err, EINVAL, "the root is not a directory");
		if (w->root != EROFS_NO_PARENT)
			return error_set_msg(err, EEXIST, "a second root (the first is entry %u)", w->root);
		return 0;
	}
	if (in->parent == idx)
		return error_set_msg(err, EINVAL, "its own parent");
	if (!valid_name(in->name, strnlen(in->name, EROFS_NAME_MAX + 1)))
		return error_set_msg(err, EINVAL, "invalid name (1..255 bytes, no '/', not . or ..)");
	if (in->hardlink == EROFS_NO_LINK)
		return 0;
	if (in->hardlink >= idx)
		return error_set_msg(err, EINVAL, "hardlink to entry %u, which is not an earlier one", in->hardlink);
	if (S_ISDIR(w->entries[w->entries[in->hardlink].link].mode))
		return error_set_msg(err, EPERM, "hardlink to a directory");
	return 0;
}

static int add_entry(struct erofs_writer *w, const struct erofs_entry *in,
		     uint32_t idx, struct error **err)
{
	struct ew_entry *e = &w->entries[idx];

	memset(e, 0, sizeof(*e));
	if (check_place(w, in, idx, err) < 0)
		return -1;
	e->parent = in->parent;
	e->name_len = (uint16_t)strlen(in->name);
	e->name = arena_dup(&w->arena, in->name, e->name_len);
	if (!e->name)
		return error_set(err, ENOMEM, "copy name");
	if (in->hardlink != EROFS_NO_LINK) {
		e->link = w->entries[in->hardlink].link;
		return 0;
	}
	e->link = idx;
	if (check_attrs(in, err) < 0 || add_xattrs(w, e, in, err) < 0)
		return -1;
	e->mode = (uint32_t)in->mode;
	e->uid = in->uid;
	e->gid = in->gid;
	e->mtime = in->mtime_sec;
	e->mtime_nsec = in->mtime_nsec;
	if (S_ISREG(in->mode)) {
		e->size = in->size;
		if (in->data) {
			e->payload = arena_dup(&w->arena, in->data, in->size);
			if (!e->payload)
				return error_set(err, ENOMEM, "copy %ju bytes of data", (uintmax_t)in->size);
		}
	} else if (S_ISLNK(in->mode)) {
		e->size = strlen(in->symlink);
		e->payload = arena_dup(&w->arena, in->symlink, e->size);
		if (!e->payload)
			return error_set(err, ENOMEM, "copy symlink target");
	} else if (S_ISCHR(in->mode) || S_ISBLK(in->mode)) {
		e->rdev = encode_dev(in->rdev);
	}
	return 0;
}

int erofs_writer_add(struct erofs_writer *w, const struct erofs_entry *e,
		     uint32_t *index, struct error **err)
{
	uint32_t idx = (uint32_t)w->count;
	size_t nxattrs = w->nxattrs;

	/* UINT32_MAX is EROFS_NO_PARENT and EROFS_NO_LINK */
	if (w->count >= UINT32_MAX - 1)
		return error_set_msg(err, EOVERFLOW, "add entry: too many entries");
	if (grow((void **)&w->entries, &w->cap, w->count + 1, sizeof(*w->entries)) < 0)
		return error_set(err, ENOMEM, "add entry %u", idx);
	if (add_entry(w, e, idx, err) < 0) {
		char *name = log_escape(e->name ? e->name : "");

		w->nxattrs = nxattrs;	/* the entry is not added */
		error_wrap(err, "add entry %u \"%s\"", idx, name ? name : "?");
		free(name);
		return -1;
	}
	if (e->parent == EROFS_NO_PARENT)
		w->root = idx;
	w->count++;
	if (index)
		*index = idx;
	return 0;
}

int erofs_writer_write(struct erofs_writer *w, int fd, struct error **err)
{
	struct ew_layout l = { 0 };
	int ret = -1;

	if (w->root == EROFS_NO_PARENT) {
		error_set_msg(err, EINVAL, "no root directory");
		goto out;
	}
	l.ino = calloc(w->count, sizeof(*l.ino));
	if (!l.ino) {
		error_set(err, ENOMEM, "layout of %zu entries", w->count);
		goto out;
	}
	if (ew_tree_build(w, &l, err) < 0 || ew_xattr_share(w, &l, err) < 0 ||
	    ew_xattr_sizes(w, &l, err) < 0 || ew_layout_place(w, &l, err) < 0 ||
	    ew_emit(w, &l, fd, err) < 0)
		goto out;
	ret = 0;
out:
	free(l.ino);
	free(l.dirents);
	free(l.order);
	free(l.shared);
	if (ret < 0)
		error_wrap(err, "write EROFS image");
	return ret;
}
