/* SPDX-License-Identifier: MIT */
/*
 * A min-heap of indexes (pure, not locked): the prefetch's listed files
 * fetched and waiting to be decompressed, the earliest in the list first.
 */
#ifndef LOWERFS_INDEX_HEAP_H
#define LOWERFS_INDEX_HEAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct index_heap {
	uint32_t *v;
	size_t n, cap;
};

/* An empty heap of room for CAP indexes: 0, or -1 (ENOMEM). */
int index_heap_init(struct index_heap *h, size_t cap);
void index_heap_free(struct index_heap *h);
/* Add I: false when the heap is full (never, with CAP for each index once). */
bool index_heap_push(struct index_heap *h, uint32_t i);
/* Take the smallest into *I: false when empty. */
bool index_heap_pop(struct index_heap *h, uint32_t *i);

#endif
