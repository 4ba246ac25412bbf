// SPDX-License-Identifier: MIT
/* Open addressing, linear probing, at most half full. */
#include "link_table.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static size_t slot_of(const struct link_table *t, dev_t dev, ino_t ino)
{
	/* the keys are the kernel's numbers, not chosen by the workload */
	uint64_t h = ((uint64_t)ino * 0x9e3779b97f4a7c15ull) ^ (uint64_t)dev;

	return (size_t)(h ^ (h >> 29)) & (t->cap - 1);
}

static struct link_entry *find(const struct link_table *t, dev_t dev, ino_t ino)
{
	size_t i;

	if (!t->cap)
		return NULL;
	for (i = slot_of(t, dev, ino); t->slots[i].path; i = (i + 1) & (t->cap - 1))
		if (t->slots[i].dev == dev && t->slots[i].ino == ino)
			return &t->slots[i];
	return &t->slots[i];
}

const char *link_table_get(const struct link_table *t, dev_t dev, ino_t ino)
{
	struct link_entry *e = find(t, dev, ino);

	return e ? e->path : NULL;
}

static int grow(struct link_table *t)
{
	struct link_table bigger = { .cap = t->cap ? 2 * t->cap : 64 };
	size_t i;

	bigger.slots = calloc(bigger.cap, sizeof(*bigger.slots));
	if (!bigger.slots)
		return -1;
	for (i = 0; i < t->cap; i++) {
		if (t->slots[i].path) {
			*find(&bigger, t->slots[i].dev, t->slots[i].ino) = t->slots[i];
			bigger.used++;
		}
	}
	free(t->slots);
	*t = bigger;
	return 0;
}

int link_table_put(struct link_table *t, dev_t dev, ino_t ino, const char *path)
{
	struct link_entry *e;
	char *copy = strdup(path);

	if (!copy || (2 * (t->used + 1) > t->cap && grow(t) < 0)) {
		free(copy);
		errno = ENOMEM;
		return -1;
	}
	e = find(t, dev, ino);
	if (e->path) {
		free(e->path);
	} else {
		e->dev = dev;
		e->ino = ino;
		t->used++;
	}
	e->path = copy;
	return 0;
}

void link_table_free(struct link_table *t)
{
	size_t i;

	for (i = 0; i < t->cap; i++)
		free(t->slots[i].path);
	free(t->slots);
	memset(t, 0, sizeof(*t));
}
