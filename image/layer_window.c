// SPDX-License-Identifier: MIT
/*
 * gzip checkpoint windows, kept the way the index file stores them
 * (deflated, or raw when that is no smaller) and inflated only when a
 * read starts at their checkpoint. A window of 32 KiB deflates to a few
 * dozen bytes when it is all zeros: inflating every window of an index
 * at load would let a small hostile index claim gigabytes.
 */
#include "layer_priv.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

int layer_window_store(struct layer_checkpoint *cp, const uint8_t *raw,
		       struct error **err)
{
	uLongf zlen = compressBound(LAYER_WINDOW_SIZE);
	uint8_t *z = malloc(zlen), *kept;

	if (!z)
		return error_set(err, ENOMEM, "layer: window");
	if (compress2(z, &zlen, raw, LAYER_WINDOW_SIZE, 6) == Z_OK &&
	    zlen < LAYER_WINDOW_SIZE) {
		/* give back what compressBound reserved */
		kept = realloc(z, zlen);
		cp->window = kept ? kept : z;
		cp->window_kind = LAYER_WINDOW_ZLIB;
		cp->window_len = (uint32_t)zlen;
		return 0;
	}
	free(z);
	cp->window = malloc(LAYER_WINDOW_SIZE);
	if (!cp->window)
		return error_set(err, ENOMEM, "layer: window");
	memcpy(cp->window, raw, LAYER_WINDOW_SIZE);
	cp->window_kind = LAYER_WINDOW_RAW;
	cp->window_len = LAYER_WINDOW_SIZE;
	return 0;
}

int layer_window_load(const struct layer_checkpoint *cp, uint32_t i,
		      uint8_t *out, struct error **err)
{
	uLongf n = LAYER_WINDOW_SIZE;

	switch (cp->window_kind) {
	case LAYER_WINDOW_RAW:
		if (cp->window_len != LAYER_WINDOW_SIZE)
			break;
		memcpy(out, cp->window, LAYER_WINDOW_SIZE);
		return 0;
	case LAYER_WINDOW_ZLIB:
		if (uncompress(out, &n, cp->window, cp->window_len) != Z_OK ||
		    n != LAYER_WINDOW_SIZE)
			break;
		return 0;
	case LAYER_WINDOW_NONE:
		break;
	}
	return error_set(err, 0, "index: checkpoint %" PRIu32 ": corrupt compressed window", i);
}
