/* SPDX-License-Identifier: MIT */
/*
 * A growing byte buffer for the unit tests that write layers in memory
 * (test_companion.c, test_layer_index*.c, test_layer_limits.c), and the
 * libarchive write callback that appends to one. buf_add asserts
 * (cmocka) that memory was had.
 */
#ifndef OVLMIG_TESTS_UNIT_MEM_BUF_H
#define OVLMIG_TESTS_UNIT_MEM_BUF_H

#include <archive.h>
#include <stddef.h>
#include <stdint.h>

struct buf {
	uint8_t *p;
	size_t len, cap;
};

void buf_add(struct buf *b, const void *src, size_t n);
/* archive_write_open's write callback: CTX is a struct buf. */
la_ssize_t buf_archive_write(struct archive *a, void *ctx, const void *p, size_t n);

#endif
