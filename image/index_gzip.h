/* SPDX-License-Identifier: MIT */
/*
 * A version 2 index head as a registry blob of media type
 * MT_LAYER_INDEX_HEAD_GZIP: one gzip member of the head's bytes
 * (docs/INDEX.md, "Indexes in the registry"). The entries table is most
 * of a head (about 110 bytes an entry, paths and zero fields) and
 * deflates about 12x; the windows blob is not deflated (its windows
 * already are).
 */
#ifndef IMAGE_INDEX_GZIP_H
#define IMAGE_INDEX_GZIP_H

#include <stddef.h>
#include <stdint.h>

#include "../common/error.h"

/* IN, LEN bytes, as one gzip member into *OUT (malloc'd), *OUT_LEN bytes. */
int index_gzip(const uint8_t *in, size_t len, uint8_t **out, size_t *out_len,
	       struct error **err);

/*
 * IN, LEN bytes of untrusted gzip, inflated into *OUT (malloc'd),
 * *OUT_LEN bytes: exactly one member, nothing after it, its CRC and
 * length checked, at most MAX bytes out (more fails: a small blob cannot
 * ask for a large allocation beyond MAX).
 */
int index_gunzip(const uint8_t *in, size_t len, size_t max, uint8_t **out,
		 size_t *out_len, struct error **err);

#endif
