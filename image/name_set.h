/* SPDX-License-Identifier: MIT */
/*
 * Items found by name: an open-addressing table of pointers, hashed with
 * keyed_hash because the names come from layers. The items own their
 * names (a `char *` at NAME_OFF in each item); the set only points at the
 * items. Adding, finding and removing take expected constant time
 * whatever the names are.
 */
#ifndef IMAGE_NAME_SET_H
#define IMAGE_NAME_SET_H

#include <stddef.h>

struct name_set {
	void **slots;
	size_t cap;		/* 0 or a power of two */
	size_t used;
	size_t name_off;	/* offsetof(item type, its char *name) */
};

void name_set_init(struct name_set *s, size_t name_off);
void name_set_free(struct name_set *s);
/* The item named NAME (LEN bytes, not NUL-terminated), or NULL. */
void *name_set_find(const struct name_set *s, const char *name, size_t len);
/* Add ITEM, whose name is not in the set yet: 0, or -1 (ENOMEM). */
int name_set_add(struct name_set *s, void *item);
/* Take ITEM out of the set (nothing if it is not there). */
void name_set_remove(struct name_set *s, const void *item);

#endif
