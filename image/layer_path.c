// SPDX-License-Identifier: MIT
/*
 * Names in layer indexes: normalizing tar member names, checking that a
 * decoded name is normalized, and finding the latest entry of a name.
 */
#include "layer_priv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../common/keyed_hash.h"

char *layer_path_normalize(const char *name, const char **why)
{
	size_t n = strlen(name), o = 0;
	const char *p = name;
	char *out;

	*why = NULL;
	if (!n) {
		*why = "empty name";
		return NULL;
	}
	if (name[0] == '/') {
		*why = "absolute path";
		return NULL;
	}
	out = malloc(n + 1);
	if (!out)
		return NULL;
	while (*p) {
		const char *slash = strchr(p, '/');
		size_t len = slash ? (size_t)(slash - p) : strlen(p);

		/* "a//b" and "./a/./b" are the same path to any extractor */
		if (len == 2 && p[0] == '.' && p[1] == '.') {
			*why = "\"..\" component";
			goto fail;
		}
		if (len > LAYER_NAME_MAX) {
			*why = "name component longer than 255 bytes";
			goto fail;
		}
		if (len && !(len == 1 && p[0] == '.')) {
			if (o)
				out[o++] = '/';
			memcpy(out + o, p, len);
			o += len;
		}
		p += len;
		if (*p == '/')
			p++;
	}
	out[o] = '\0';
	if (o > LAYER_PATH_MAX) {
		*why = "path longer than 4095 bytes";
		goto fail;
	}
	return out;
fail:
	free(out);
	return NULL;
}

const char *layer_path_check(const char *p, size_t len)
{
	size_t i = 0;

	if (len > LAYER_PATH_MAX)
		return "path longer than 4095 bytes";
	if (memchr(p, '\0', len))
		return "NUL byte in name";
	while (i < len) {
		const char *slash = memchr(p + i, '/', len - i);
		size_t clen = slash ? (size_t)(slash - (p + i)) : len - i;

		if (!clen)
			return "empty name component";
		if ((clen == 1 && p[i] == '.') ||
		    (clen == 2 && p[i] == '.' && p[i + 1] == '.'))
			return "\".\" or \"..\" component";
		if (clen > LAYER_NAME_MAX)
			return "name component longer than 255 bytes";
		i += clen;
		if (slash) {
			i++;
			if (i == len)
				return "trailing '/'";
		}
	}
	return NULL;
}

char *layer_path_printable(const char *p)
{
	size_t n = strnlen(p, 512), i, o = 0;
	char *out = malloc(4 * n + 4);

	if (!out)
		return NULL;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		/* hostile names must not reach a terminal or log raw */
		if (c < 0x20 || c >= 0x7f || c == '\\')
			o += (size_t)sprintf(out + o, "\\x%02x", c);
		else
			out[o++] = (char)c;
	}
	if (p[n])
		memcpy(out + o, "...", 3), o += 3;
	out[o] = '\0';
	return out;
}

void layer_paths_init(struct layer_paths *t)
{
	t->slots = NULL;
	t->cap = 0;
	t->used = 0;
}

void layer_paths_free(struct layer_paths *t)
{
	free(t->slots);
	layer_paths_init(t);
}

/* The slot of PATH, or the empty slot where it would go. */
static size_t find_slot(const struct layer_paths *t,
			const struct layer_entry *entries, const char *path)
{
	/* keyed: names from a layer cannot be chosen to collide */
	size_t mask = t->cap - 1, i = (size_t)keyed_hash(path, strlen(path)) & mask;

	while (t->slots[i] && strcmp(entries[t->slots[i] - 1].path, path))
		i = (i + 1) & mask;
	return i;
}

static int grow(struct layer_paths *t, const struct layer_entry *entries)
{
	struct layer_paths n;
	size_t i;

	n.cap = t->cap ? t->cap * 2 : 64;
	n.used = t->used;
	n.slots = calloc(n.cap, sizeof(*n.slots));
	if (!n.slots)
		return -1;
	for (i = 0; i < t->cap; i++)
		if (t->slots[i])
			n.slots[find_slot(&n, entries,
					  entries[t->slots[i] - 1].path)] = t->slots[i];
	free(t->slots);
	*t = n;
	return 0;
}

int layer_paths_put(struct layer_paths *t, const struct layer_entry *entries,
		    uint32_t i)
{
	size_t s;

	if (i == UINT32_MAX) {
		errno = EOVERFLOW;
		return -1;
	}
	if ((t->used + 1) * 2 > t->cap && grow(t, entries) < 0)
		return -1;
	s = find_slot(t, entries, entries[i].path);
	if (!t->slots[s])
		t->used++;
	t->slots[s] = i + 1;
	return 0;
}

int64_t layer_paths_get(const struct layer_paths *t,
			const struct layer_entry *entries, const char *path)
{
	size_t s;

	if (!t->cap)
		return -1;
	s = find_slot(t, entries, path);
	return t->slots[s] ? (int64_t)t->slots[s] - 1 : -1;
}

bool layer_mode_valid(uint32_t mode)
{
	if (mode & ~(uint32_t)(S_IFMT | 07777))
		return false;
	switch (mode & S_IFMT) {
	case S_IFREG:
	case S_IFDIR:
	case S_IFLNK:
	case S_IFCHR:
	case S_IFBLK:
	case S_IFIFO:
	case S_IFSOCK:
		return true;
	}
	return false;
}

void layer_entry_clear(struct layer_entry *e)
{
	uint32_t i;

	free(e->path);
	free(e->hardlink);
	free(e->link);
	for (i = 0; i < e->nxattrs; i++) {
		free(e->xattrs[i].name);
		free(e->xattrs[i].value);
	}
	free(e->xattrs);
	memset(e, 0, sizeof(*e));
}
