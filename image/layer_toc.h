/* SPDX-License-Identifier: MIT */
/*
 * A layer's own table of contents in place of our index: zstd:chunked
 * (containers/storage) layers carry a JSON TOC, zstd-compressed in a
 * skippable frame, that says where each file's data starts as a zstd
 * frame of its own. The TOC becomes an in-memory layer index
 * (docs/INDEX.md, "A layer's own TOC"): its entries, and one checkpoint
 * per chunk of file data with the chunk's sha256 (span_sha256), which
 * layer_read checks before it serves a byte. The TOC is untrusted input.
 */
#ifndef IMAGE_LAYER_TOC_H
#define IMAGE_LAYER_TOC_H

#include <stddef.h>
#include <stdint.h>

#include "../common/error.h"
#include "layer_types.h"

#define LAYER_TOC_MAX (64u << 20)	/* compressed or not */

/* Where the TOC is, from the layer descriptor's annotations. */
struct layer_toc_ref {
	uint64_t offset, length;	/* the compressed TOC in the layer */
	uint64_t uncompressed_length;
	char checksum[7 + 64 + 1];	/* "sha256:<hex>" of the compressed TOC */
};

#define TOC_ANNOTATION_POSITION "io.containers.zstd-chunked.manifest-position"
#define TOC_ANNOTATION_CHECKSUM "io.containers.zstd-chunked.manifest-checksum"

/*
 * Parse the annotations' values: POSITION is "OFFSET:LENGTH:ULENGTH:TYPE"
 * (TYPE 1, zstd), CHECKSUM "sha256:<hex>"; the TOC must lie within a
 * layer of LAYER_SIZE bytes.
 */
int layer_toc_ref_parse(const char *position, const char *checksum,
			uint64_t layer_size, struct layer_toc_ref *out,
			struct error **err);

/*
 * Turn the compressed TOC (REF->length bytes, already read from the
 * layer) into an index of the layer DIGEST of LAYER_SIZE bytes: checks
 * its checksum, decompresses it, parses and checks every entry.
 */
int layer_toc_index(const struct layer_toc_ref *ref, const void *toc,
		    size_t len, const char *digest, uint64_t layer_size,
		    struct layer_index *out, struct error **err);

/* The same from the decompressed JSON (for tests and the above). */
int layer_toc_parse(const char *json, size_t len, uint64_t data_end,
		    const char *digest, uint64_t layer_size,
		    struct layer_index *out, struct error **err);

/*
 * eStargz (layer_estargz.h) writes the same JSON with a few differences:
 * each file's data a gzip member of its own, no "endOffset", the last
 * chunk's "chunkSize" left out, an "innerOffset" (refused unless 0); and
 * it must name each path once. DATA_END is where the TOC's member starts.
 */
enum layer_toc_format {
	LAYER_TOC_ZSTD_CHUNKED,
	LAYER_TOC_ESTARGZ,
};

int layer_toc_parse_format(enum layer_toc_format format, const char *json,
			   size_t len, uint64_t data_end, const char *digest,
			   uint64_t layer_size, struct layer_index *out,
			   struct error **err);

#endif
