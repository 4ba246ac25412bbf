/* SPDX-License-Identifier: MIT */
/*
 * An eStargz layer's own table of contents in place of our index. The
 * layer is a gzip'd tar whose every regular file (and every chunk of a
 * large one) starts a gzip member of its own; after the files, a gzip
 * member holds a tar of one entry, stargz.index.json (the TOC), and the
 * layer ends with a 51-byte footer, an empty gzip member whose extra
 * field says where the TOC's member starts. The layer descriptor's
 * annotation gives the sha256 of the TOC's JSON. The TOC becomes an index
 * as a zstd:chunked one does (layer_toc.h): a checkpoint per chunk at its
 * member, each span checked against its chunkDigest on read. The footer
 * and the TOC are untrusted input.
 */
#ifndef IMAGE_LAYER_ESTARGZ_H
#define IMAGE_LAYER_ESTARGZ_H

#include <stddef.h>
#include <stdint.h>

#include "../common/error.h"
#include "layer_types.h"

#define ESTARGZ_ANNOTATION_TOC_DIGEST "containerd.io/snapshot/stargz/toc.digest"
#define ESTARGZ_FOOTER_SIZE 51
#define ESTARGZ_TOC_NAME "stargz.index.json"

/*
 * The footer (the layer's last ESTARGZ_FOOTER_SIZE bytes) of a layer of
 * LAYER_SIZE bytes: *TOC_OFF gets where the TOC's gzip member starts; it
 * runs to the footer and is at most LAYER_TOC_MAX bytes.
 */
int layer_estargz_footer(const void *footer, size_t len, uint64_t layer_size,
			 uint64_t *toc_off, struct error **err);

/*
 * The TOC's gzip member (LEN bytes at TOC_OFF of the layer DIGEST of
 * LAYER_SIZE bytes) as an index: the tar entry stargz.index.json,
 * its JSON's sha256 equal to TOC_DIGEST (the annotation), every entry
 * checked.
 */
int layer_estargz_index(const void *toc, size_t len, uint64_t toc_off,
			const char *toc_digest, const char *digest,
			uint64_t layer_size, struct layer_index *out,
			struct error **err);

#endif
