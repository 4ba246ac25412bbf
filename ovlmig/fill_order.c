// SPDX-License-Identifier: MIT
#include "fill_order.h"

#include <stdlib.h>

static bool is_small(const struct fill_file *f)
{
	return f->size <= FILL_SMALL_BYTES;
}

static int by_kind_then_source(const void *a, const void *b)
{
	const struct fill_file *x = a, *y = b;

	if (is_small(x) != is_small(y))
		return is_small(x) ? 1 : -1;
	if (x->layer != y->layer)
		return x->layer < y->layer ? -1 : 1;
	if (x->off != y->off)
		return x->off < y->off ? -1 : 1;
	return x->node < y->node ? -1 : x->node > y->node;
}

void fill_order(struct fill_file *files, size_t n, struct fill_queue *q)
{
	size_t i;

	if (n > 1)
		qsort(files, n, sizeof(*files), by_kind_then_source);
	for (i = 0; i < n && !is_small(&files[i]); i++)
		;
	*q = (struct fill_queue){ .nlarge = i, .n = n, .next_large = 0,
				  .next_small = i, .next_warm = 0 };
}

bool fill_take(struct fill_queue *q, bool small_first, size_t *i)
{
	bool large_left = q->next_large < q->nlarge, small_left = q->next_small < q->n;

	if (small_left && (small_first || !large_left)) {
		*i = q->next_small++;
		return true;
	}
	if (large_left) {
		*i = q->next_large++;
		return true;
	}
	return false;
}

int fill_warm_take(struct fill_queue *q, const struct fill_file *files,
		   uint64_t ahead, size_t *i)
{
	uint64_t held = 0;
	size_t k;

	if (q->next_warm < q->next_large)
		q->next_warm = q->next_large;	/* the jobs fetch those themselves */
	if (q->next_warm >= q->nlarge)
		return -1;
	for (k = q->next_large; k < q->next_warm; k++)
		held += files[k].size;
	if (held >= ahead)
		return 1;
	*i = q->next_warm++;
	return 0;
}
