/* SPDX-License-Identifier: MIT */
/*
 * The files of a prefetch list whose compressed bytes lie close together
 * in a layer (pure: no I/O). A start-up reads many small files, and in a
 * layer read through its own TOC each is a range request of its own: a
 * round trip each, for a few hundred bytes. Grouped, neighbours are one
 * request: the bytes between them (at most GAP each) cost less link time
 * than the round trips they save.
 */
#ifndef LOWERFS_PREFETCH_GROUP_H
#define LOWERFS_PREFETCH_GROUP_H

#include <stddef.h>
#include <stdint.h>

#include "../common/error.h"

/* Where a listed file's compressed bytes lie; !known: nowhere to group. */
struct prefetch_extent {
	uint32_t layer;
	uint64_t start, end;	/* [start, end) of the layer's blob */
	int known;
};

/* One request's bytes, and how many listed files they hold. */
struct prefetch_group {
	uint32_t layer;
	uint64_t start, end;
	uint32_t files;
};

/*
 * Group the N files of EXT: two files of one layer join when the gap
 * between their bytes is at most GAP and the group then spans at most
 * MAX bytes (a large file alone is not held back by its neighbours).
 * (*GROUPS)[GROUP_OF[i]] is file i's group (malloc'd, *NGROUPS of them);
 * a file whose extent is not known is a group of its own, files 1.
 * Groups are numbered in the order of their first file in EXT.
 */
int prefetch_group(const struct prefetch_extent *ext, size_t n, uint64_t gap,
		   uint64_t max, uint32_t *group_of,
		   struct prefetch_group **groups, size_t *ngroups,
		   struct error **err);

#endif
