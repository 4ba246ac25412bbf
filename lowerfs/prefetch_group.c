// SPDX-License-Identifier: MIT
#include "prefetch_group.h"

#include <errno.h>
#include <stdlib.h>

struct item {
	const struct prefetch_extent *e;
	size_t i;
};

static int by_place(const void *a, const void *b)
{
	const struct item *x = a, *y = b;

	if (x->e->layer != y->e->layer)
		return x->e->layer < y->e->layer ? -1 : 1;
	if (x->e->start != y->e->start)
		return x->e->start < y->e->start ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

/* Whether E joins group G: close enough, and G stays at most MAX. */
static int joins(const struct prefetch_group *g, const struct prefetch_extent *e,
		 uint64_t gap, uint64_t max)
{
	uint64_t end = e->end > g->end ? e->end : g->end;

	if (e->layer != g->layer || (e->start > g->end && e->start - g->end > gap))
		return 0;
	return end - g->start <= max;
}

/*
 * Groups by place: PLACED[p] for the files in ITEMS (sorted), each
 * file's in GROUP_OF (UINT32_MAX for the files not in ITEMS). Returns
 * how many.
 */
static size_t group_by_place(const struct item *items, size_t nitems,
			     uint64_t gap, uint64_t max,
			     struct prefetch_group *placed, uint32_t *group_of)
{
	size_t k, ng = 0;

	for (k = 0; k < nitems; k++) {
		const struct prefetch_extent *e = items[k].e;

		if (!ng || !joins(&placed[ng - 1], e, gap, max))
			placed[ng++] = (struct prefetch_group){ e->layer, e->start, e->end, 0 };
		if (e->end > placed[ng - 1].end)
			placed[ng - 1].end = e->end;
		placed[ng - 1].files++;
		group_of[items[k].i] = (uint32_t)(ng - 1);
	}
	return ng;
}

int prefetch_group(const struct prefetch_extent *ext, size_t n, uint64_t gap,
		   uint64_t max, uint32_t *group_of,
		   struct prefetch_group **groups, size_t *ngroups,
		   struct error **err)
{
	size_t cap = n ? n : 1, nitems = 0, k, out = 0;
	struct item *items = NULL;
	struct prefetch_group *placed = NULL, *o = NULL;
	uint32_t *number = NULL;
	int ret = 0;

	*groups = NULL;
	*ngroups = 0;
	if (n >= UINT32_MAX)
		return error_set(err, EOVERFLOW, "group %zu listed files", n);
	items = calloc(cap, sizeof(*items));
	placed = calloc(cap, sizeof(*placed));
	o = calloc(cap, sizeof(*o));
	number = malloc(cap * sizeof(*number));
	if (!items || !placed || !o || !number) {
		ret = error_set(err, ENOMEM, "group %zu listed files", n);
		goto out;
	}
	for (k = 0; k < n; k++) {
		group_of[k] = UINT32_MAX;
		number[k] = UINT32_MAX;
		if (ext[k].known && ext[k].start < ext[k].end)
			items[nitems++] = (struct item){ &ext[k], k };
	}
	qsort(items, nitems, sizeof(*items), by_place);
	group_by_place(items, nitems, gap, max, placed, group_of);
	/* numbered by their first file in EXT; a file not placed alone */
	for (k = 0; k < n; k++) {
		uint32_t p = group_of[k];

		if (p == UINT32_MAX) {
			o[out] = (struct prefetch_group){ ext[k].layer, 0, 0, 1 };
			group_of[k] = (uint32_t)out++;
			continue;
		}
		if (number[p] == UINT32_MAX) {
			number[p] = (uint32_t)out;
			o[out++] = placed[p];
		}
		group_of[k] = number[p];
	}
	*groups = o;
	*ngroups = out;
	o = NULL;
out:
	free(items);
	free(placed);
	free(o);
	free(number);
	return ret;
}
