// SPDX-License-Identifier: MIT
#include "name_set.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../common/keyed_hash.h"

void name_set_init(struct name_set *s, size_t name_off)
{
	memset(s, 0, sizeof(*s));
	s->name_off = name_off;
}

void name_set_free(struct name_set *s)
{
	free(s->slots);
	name_set_init(s, s->name_off);
}

static const char *name_of(const struct name_set *s, const void *item)
{
	const char *name;

	memcpy(&name, (const char *)item + s->name_off, sizeof(name));
	return name;
}

static size_t home(const struct name_set *s, const char *name, size_t len)
{
	return (size_t)keyed_hash(name, len) & (s->cap - 1);
}

static size_t home_of(const struct name_set *s, const void *item)
{
	const char *name = name_of(s, item);

	return home(s, name, strlen(name));
}

void *name_set_find(const struct name_set *s, const char *name, size_t len)
{
	size_t i;

	if (!s->cap)
		return NULL;
	for (i = home(s, name, len); s->slots[i]; i = (i + 1) & (s->cap - 1)) {
		const char *n = name_of(s, s->slots[i]);

		if (!strncmp(n, name, len) && !n[len])
			return s->slots[i];
	}
	return NULL;
}

static void place(struct name_set *s, void *item)
{
	size_t i = home_of(s, item);

	while (s->slots[i])
		i = (i + 1) & (s->cap - 1);
	s->slots[i] = item;
}

int name_set_add(struct name_set *s, void *item)
{
	/* at most half full: probes stay short */
	if ((s->used + 1) * 2 > s->cap) {
		struct name_set old = *s;
		size_t i;

		if (s->cap > SIZE_MAX / 2 / sizeof(*s->slots)) {
			errno = ENOMEM;
			return -1;
		}
		s->cap = s->cap ? s->cap * 2 : 8;
		s->slots = calloc(s->cap, sizeof(*s->slots));
		if (!s->slots) {
			*s = old;
			return -1;
		}
		for (i = 0; i < old.cap; i++)
			if (old.slots[i])
				place(s, old.slots[i]);
		free(old.slots);
	}
	place(s, item);
	s->used++;
	return 0;
}

void name_set_remove(struct name_set *s, const void *item)
{
	size_t mask = s->cap - 1, hole, i;

	if (!s->cap)
		return;
	for (hole = home_of(s, item); s->slots[hole] != item; hole = (hole + 1) & mask)
		if (!s->slots[hole])
			return;
	/*
	 * Backward-shift deletion (no tombstones): each later item of the
	 * run moves into the hole unless its home lies in (hole, i].
	 */
	s->slots[hole] = NULL;
	for (i = (hole + 1) & mask; s->slots[i]; i = (i + 1) & mask) {
		size_t k = home_of(s, s->slots[i]);
		bool stays = hole < i ? k > hole && k <= i : k > hole || k <= i;

		if (!stays) {
			s->slots[hole] = s->slots[i];
			s->slots[i] = NULL;
			hole = i;
		}
	}
	s->used--;
}
