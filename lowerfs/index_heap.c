// SPDX-License-Identifier: MIT
#include "index_heap.h"

#include <stdlib.h>

int index_heap_init(struct index_heap *h, size_t cap)
{
	h->n = 0;
	h->cap = cap;
	h->v = malloc((cap ? cap : 1) * sizeof(*h->v));
	return h->v ? 0 : -1;
}

void index_heap_free(struct index_heap *h)
{
	free(h->v);
	h->v = NULL;
	h->n = h->cap = 0;
}

bool index_heap_push(struct index_heap *h, uint32_t i)
{
	size_t k = h->n;

	if (h->n >= h->cap)
		return false;
	h->n++;
	while (k && h->v[(k - 1) / 2] > i) {
		h->v[k] = h->v[(k - 1) / 2];
		k = (k - 1) / 2;
	}
	h->v[k] = i;
	return true;
}

bool index_heap_pop(struct index_heap *h, uint32_t *i)
{
	uint32_t last;
	size_t k = 0;

	if (!h->n)
		return false;
	*i = h->v[0];
	last = h->v[--h->n];
	for (;;) {
		size_t c = 2 * k + 1;

		if (c >= h->n)
			break;
		if (c + 1 < h->n && h->v[c + 1] < h->v[c])
			c++;
		if (h->v[c] >= last)
			break;
		h->v[k] = h->v[c];
		k = c;
	}
	if (h->n)
		h->v[k] = last;
	return true;
}
