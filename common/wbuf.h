/* SPDX-License-Identifier: MIT */
#ifndef OVLMIG_COMMON_WBUF_H
#define OVLMIG_COMMON_WBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A growable byte buffer for the binary formats ovlmig writes (layer
 * indexes, saved trees): integers little-endian; a failed allocation
 * sets oom and every later put does nothing, so callers check once.
 */
struct wbuf {
	uint8_t *p;
	size_t len, cap;
	bool oom;
};

void wbuf_put(struct wbuf *b, const void *src, size_t n);
void wbuf_put_le(struct wbuf *b, uint64_t v, unsigned bytes);

#define wbuf_put_u8(b, v) wbuf_put_le(b, v, 1)
#define wbuf_put_u16(b, v) wbuf_put_le(b, v, 2)
#define wbuf_put_u32(b, v) wbuf_put_le(b, v, 4)
#define wbuf_put_u64(b, v) wbuf_put_le(b, v, 8)

#endif
