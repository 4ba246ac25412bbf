/* SPDX-License-Identifier: MIT */
/*
 * The order a store fill (store_fill.c) takes an image's files in, and
 * which file a job takes next. Large files come in each layer's byte
 * order (every layer streams forward, the jobs keep the link busy); small
 * files (many syscalls per byte, the CPU's work, not the link's) form a
 * second queue that one job takes first, so they are placed while the
 * other jobs wait on the link, not after it has gone quiet.
 */
#ifndef OVLMIG_FILL_ORDER_H
#define OVLMIG_FILL_ORDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* At most this many bytes: a small file (as the tar source's span cache) */
#define FILL_SMALL_BYTES (1u << 20)

struct fill_file {
	uint32_t node;
	const char *path;	/* what META's redirect names */
	uint64_t size;
	uint32_t layer;		/* where its data lies: layer, offset in it */
	uint64_t off;
};

struct fill_queue {
	size_t nlarge, n;	/* files [0, nlarge) large, [nlarge, n) small */
	size_t next_large, next_small;
	size_t next_warm;	/* the next large file to fetch ahead */
};

/* Sort FILES: large ones, then small ones, each in (layer, offset) order. */
void fill_order(struct fill_file *files, size_t n, struct fill_queue *q);

/*
 * The index of the next file for a job into *I (the caller serializes
 * calls): a job that prefers small files takes them first, the others
 * large ones first; each takes the other kind when its own is done.
 * false: none left.
 */
bool fill_take(struct fill_queue *q, bool small_first, size_t *i);

/*
 * The next large file to warm (fetch into the cache ahead of the jobs,
 * so that the link never waits for a job's decompression and writing)
 * into *I (the caller serializes calls): files the jobs have taken are
 * skipped, and a file is only given while the files warmed but not yet
 * taken hold less than AHEAD bytes. 0: *I given; 1: not now (wait until
 * a job takes a large file); -1: no large file left to warm.
 */
int fill_warm_take(struct fill_queue *q, const struct fill_file *files,
		   uint64_t ahead, size_t *i);

#endif
