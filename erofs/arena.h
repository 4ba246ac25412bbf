/* SPDX-License-Identifier: MIT */
/*
 * A bump allocator for the writer's copies of names, targets, data and
 * xattrs: 100k entries cost a few large allocations, freed at once.
 */
#ifndef OVLMIG_EROFS_ARENA_H
#define OVLMIG_EROFS_ARENA_H

#include <stddef.h>

struct arena_chunk;

struct arena {
	struct arena_chunk *head;
};

/* A copy of LEN bytes of P, 8-byte aligned; NULL on ENOMEM. */
void *arena_dup(struct arena *a, const void *p, size_t len);
void arena_free(struct arena *a);

#endif
