// SPDX-License-Identifier: MIT
#include "wbuf.h"

#include <stdlib.h>
#include <string.h>

void wbuf_put(struct wbuf *b, const void *src, size_t n)
{
	if (b->oom)
		return;
	if (n > b->cap - b->len) {
		size_t cap = b->cap ? b->cap : 4096;
		uint8_t *p;

		while (cap - b->len < n) {
			if (cap > SIZE_MAX / 2) {
				b->oom = true;
				return;
			}
			cap *= 2;
		}
		p = realloc(b->p, cap);
		if (!p) {
			b->oom = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	if (n)
		memcpy(b->p + b->len, src, n);
	b->len += n;
}

void wbuf_put_le(struct wbuf *b, uint64_t v, unsigned bytes)
{
	uint8_t t[8];
	unsigned i;

	for (i = 0; i < bytes && i < sizeof(t); i++)
		t[i] = (uint8_t)(v >> (8 * i));
	wbuf_put(b, t, i);
}
