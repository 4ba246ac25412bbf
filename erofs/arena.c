// SPDX-License-Identifier: MIT
#include "arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK_SIZE (1024 * 1024)

struct arena_chunk {
	struct arena_chunk *next;
	size_t used, cap;
	_Alignas(8) unsigned char data[];
};

static struct arena_chunk *new_chunk(struct arena *a, size_t cap)
{
	struct arena_chunk *c;

	if (cap > SIZE_MAX - sizeof(*c))
		return NULL;
	c = malloc(sizeof(*c) + cap);
	if (!c)
		return NULL;
	c->used = 0;
	c->cap = cap;
	c->next = a->head;
	a->head = c;
	return c;
}

void *arena_dup(struct arena *a, const void *p, size_t len)
{
	struct arena_chunk *c = a->head;
	size_t need = (len + 7) & ~(size_t)7;
	void *dst;

	if (need < len)
		return NULL;
	if (!c || c->cap - c->used < need) {
		/* a large copy gets a chunk of its own; the current one stays open */
		if (need > CHUNK_SIZE / 4) {
			struct arena_chunk *own = new_chunk(a, need);

			if (!own)
				return NULL;
			if (c) {	/* keep the open chunk at the head */
				a->head = c;
				own->next = c->next;
				c->next = own;
			}
			own->used = need;
			if (len)
				memcpy(own->data, p, len);
			return own->data;
		}
		c = new_chunk(a, CHUNK_SIZE);
		if (!c)
			return NULL;
	}
	dst = c->data + c->used;
	c->used += need;
	if (len)
		memcpy(dst, p, len);
	return dst;
}

void arena_free(struct arena *a)
{
	struct arena_chunk *c = a->head, *next;

	for (; c; c = next) {
		next = c->next;
		free(c);
	}
	a->head = NULL;
}
