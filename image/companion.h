/* SPDX-License-Identifier: MIT */
/*
 * A layer's seekable companion (issue 18, docs/INDEX.md "A seekable
 * companion"): the layer's tar stream, byte for byte, re-encoded as zstd
 * frames so that every regular file's data starts a frame of its own
 * (and no frame holds more than COMPANION_FRAME_MAX uncompressed bytes).
 * Indexed like any zstd layer (layer_index.h: a checkpoint at each frame),
 * its index has the layer's own entries at the layer's own offsets; a
 * read of a small file then fetches that file's frame alone, with no
 * gzip window and no lead-in from a checkpoint before it. The image is
 * not changed: `ovlmig index --push --companion` pushes the companion and
 * its index as a referrer of the image; mounts read the layer through it.
 */
#ifndef IMAGE_COMPANION_H
#define IMAGE_COMPANION_H

#include <stdint.h>

#include "../common/error.h"
#include "digest.h"
#include "layer_index.h"

#define COMPANION_FRAME_MAX (1u << 20)	/* uncompressed bytes in one frame */
#define COMPANION_LEVEL 9		/* default zstd level (1 to 19) */

/*
 * Read the layer indexed by IDX (compressed, from NEXT/CTX: gzip, zstd
 * or plain) and write its companion to the file OUT, at zstd level
 * LEVEL (1 to 19; 0: COMPANION_LEVEL). The layer read must
 * be IDX's (its digest and size). *UNCOMPRESSED gets the sha256 of the
 * layer's tar stream ("sha256:<hex>", the layer's diff_id).
 */
int companion_write(layer_stream_fn next, void *ctx,
		    const struct layer_index *idx, int level, int out,
		    char uncompressed[DIGEST_STRLEN + 1], struct error **err);

/*
 * The entries of the layer index IDX and of the companion's index COMP
 * are the same, field by field (path, type, mode, owner, size, data
 * offset, link targets, device, times, xattrs); fails naming the first
 * that differs.
 */
int companion_entries_equal(const struct layer_index *idx,
			    const struct layer_index *comp, struct error **err);

/*
 * Before a companion is pushed: the file FD (read from offset 0) is a
 * zstd stream that decompresses to UNCOMPRESSED, COMP (its index, built
 * from it) is of that file, seekable zstd, with IDX's entries. On the
 * way, *SPANS (malloc'd, COMP->ncheckpoints) gets the sha256 of each
 * span's uncompressed bytes (checkpoint to checkpoint: a frame).
 */
int companion_verify(int fd, const struct layer_index *idx,
		     const struct layer_index *comp, const char *uncompressed,
		     uint8_t (**spans)[32], struct error **err);

#endif
