// SPDX-License-Identifier: MIT
/*
 * Xattrs: names by prefix index, values that many inodes carry (the
 * overlay's metacopy mark, a capability) written once in the shared
 * table and referenced by a 4-byte id, the rest inline after the inode.
 */
#include "writer_int.h"

#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ondisk.h"

#define XATTR_NAME_MAX_LEN 255
/* i_xattr_icount is 16 bits: the header and (icount - 1) 4-byte words */
#define XATTR_IBODY_MAX (sizeof(struct erofs_xattr_ibody_header) + 4 * (UINT16_MAX - 1))
#define SHARED_PER_INODE_MAX UINT8_MAX	/* h_shared_count */

static const struct {
	const char *prefix;
	uint8_t index;
	bool whole;	/* the name is the prefix alone */
} prefixes[] = {
	{ "user.", EROFS_XATTR_INDEX_USER, false },
	{ "trusted.", EROFS_XATTR_INDEX_TRUSTED, false },
	{ "security.", EROFS_XATTR_INDEX_SECURITY, false },
	{ "system.posix_acl_access", EROFS_XATTR_INDEX_POSIX_ACL_ACCESS, true },
	{ "system.posix_acl_default", EROFS_XATTR_INDEX_POSIX_ACL_DEFAULT, true },
};

int ew_xattr_parse(const char *name, uint8_t *index, const char **suffix,
		   size_t *suffix_len)
{
	size_t len = strnlen(name, XATTR_NAME_MAX_LEN + 1), i;

	if (len > XATTR_NAME_MAX_LEN)
		return -1;
	for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		size_t plen = strlen(prefixes[i].prefix);

		if (strncmp(name, prefixes[i].prefix, plen) != 0)
			continue;
		if (prefixes[i].whole ? len != plen : len == plen)
			return -1;
		*index = prefixes[i].index;
		*suffix = name + plen;
		*suffix_len = len - plen;
		return 0;
	}
	return -1;
}

size_t ew_xattr_entry_size(const struct ew_xattr *x)
{
	size_t n = sizeof(struct erofs_xattr_entry) + x->suffix_len + x->value_size;

	return (n + 3) & ~(size_t)3;
}

void ew_xattr_encode(const struct ew_xattr *x, unsigned char *out)
{
	struct erofs_xattr_entry h = {
		.e_name_len = x->suffix_len,
		.e_name_index = x->index,
		.e_value_size = htole16(x->value_size),
	};
	size_t used = sizeof(h) + x->suffix_len + x->value_size;

	memcpy(out, &h, sizeof(h));
	memcpy(out + sizeof(h), x->suffix, x->suffix_len);
	if (x->value_size)
		memcpy(out + sizeof(h) + x->suffix_len, x->value, x->value_size);
	memset(out + used, 0, ew_xattr_entry_size(x) - used);
}

static int same_xattr_cmp(const void *a, const void *b, void *base)
{
	const struct ew_xattr *x = (const struct ew_xattr *)base + *(const uint32_t *)a;
	const struct ew_xattr *y = (const struct ew_xattr *)base + *(const uint32_t *)b;
	int c;

	if (x->index != y->index)
		return x->index < y->index ? -1 : 1;
	if (x->suffix_len != y->suffix_len)
		return x->suffix_len < y->suffix_len ? -1 : 1;
	if (x->value_size != y->value_size)
		return x->value_size < y->value_size ? -1 : 1;
	c = memcmp(x->suffix, y->suffix, x->suffix_len);
	if (c || !x->value_size)
		return c;
	c = memcmp(x->value, y->value, x->value_size);
	if (c)
		return c;
	/* equal xattrs keep their order: the output does not depend on qsort */
	return *(const uint32_t *)a < *(const uint32_t *)b ? -1 : 1;
}

static bool same_xattr(const struct ew_xattr *x, const struct ew_xattr *y)
{
	return x->index == y->index && x->suffix_len == y->suffix_len &&
	       x->value_size == y->value_size &&
	       !memcmp(x->suffix, y->suffix, x->suffix_len) &&
	       (!x->value_size || !memcmp(x->value, y->value, x->value_size));
}

/* Every name=value that two inodes or more carry goes to the shared table. */
int ew_xattr_share(struct erofs_writer *w, struct ew_layout *l, struct error **err)
{
	uint64_t offset = 0;
	uint32_t *refs;
	size_t i, j, n = w->nxattrs;

	if (!n)
		return 0;
	refs = malloc(n * sizeof(*refs));
	l->shared = malloc(n * sizeof(*l->shared));
	if (!refs || !l->shared) {
		free(refs);
		return error_set(err, ENOMEM, "share %zu xattrs", n);
	}
	for (i = 0; i < n; i++) {
		refs[i] = (uint32_t)i;
		w->xattrs[i].shared = EW_NOT_SHARED;
	}
	qsort_r(refs, n, sizeof(*refs), same_xattr_cmp, w->xattrs);
	for (i = 0; i < n; i = j) {
		const struct ew_xattr *first = &w->xattrs[refs[i]];

		for (j = i + 1; j < n && same_xattr(first, &w->xattrs[refs[j]]); j++)
			;
		if (j - i < 2)
			continue;
		/* ids are 4-byte units from the table's start */
		if (offset / 4 >= EW_NOT_SHARED) {
			free(refs);
			return error_set_msg(err, EFBIG, "shared xattr table too large");
		}
		for (size_t k = i; k < j; k++)
			w->xattrs[refs[k]].shared = (uint32_t)(offset / 4);
		l->shared[l->nshared++] = refs[i];
		offset += ew_xattr_entry_size(first);
	}
	l->shared_size = offset;
	free(refs);
	return 0;
}

/* Each inode's inline xattr area: header, shared ids, its own entries. */
int ew_xattr_sizes(struct erofs_writer *w, struct ew_layout *l, struct error **err)
{
	size_t i;

	for (i = 0; i < w->count; i++) {
		const struct ew_entry *e = &w->entries[i];
		struct ew_inode *ino = &l->ino[i];
		uint64_t size = sizeof(struct erofs_xattr_ibody_header);
		uint32_t k;

		if (!ew_is_inode(w, (uint32_t)i) || !e->nxattrs)
			continue;
		ino->nshared = 0;
		for (k = 0; k < e->nxattrs; k++) {
			struct ew_xattr *x = &w->xattrs[e->xattr_first + k];

			/* past h_shared_count's limit, the rest go inline */
			if (x->shared != EW_NOT_SHARED && ino->nshared == SHARED_PER_INODE_MAX)
				x->shared = EW_NOT_SHARED;
			if (x->shared != EW_NOT_SHARED) {
				ino->nshared++;
				size += 4;
			} else {
				size += ew_xattr_entry_size(x);
			}
		}
		if (size > XATTR_IBODY_MAX) {
			error_set_msg(err, E2BIG, "xattrs of %ju bytes, more than the %zu an inode can hold",
				      (uintmax_t)size, XATTR_IBODY_MAX);
			return ew_wrap_entry(w, (uint32_t)i, err);
		}
		ino->xattr_size = (uint32_t)size;
	}
	return 0;
}
