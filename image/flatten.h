/* SPDX-License-Identifier: MIT */
/*
 * Flattening: apply the entries of an image's layers, lowest first, the
 * way a container runtime extracts them (OCI image spec, "Applying
 * changesets"), and emit the result into an image. `.wh.NAME` deletes
 * NAME of the layers below, `.wh..wh..opq` hides everything below in its
 * directory, a later entry replaces an earlier one (a directory over a
 * directory only updates its attributes), hardlinks refer to an earlier
 * entry of the same layer.
 *
 * The result is emitted depth first with names sorted, so the same layers
 * always give the same node numbers (a restarted lowerfs serves the node
 * ids the kernel holds).
 */
#ifndef IMAGE_FLATTEN_H
#define IMAGE_FLATTEN_H

#include <stdint.h>

#include "../common/error.h"
#include "tree.h"
#include "layer_index.h"

/* Where the data of a regular file of the image lies. */
struct flat_file {
	uint32_t layer;
	uint64_t data_off;	/* in the layer's uncompressed stream */
	uint64_t size;
};

struct flat_result {
	struct flat_file *files;	/* image node's src_off indexes this */
	uint32_t nfiles;
	uint32_t ignored;		/* entries left out (each logged) */
};

/*
 * Apply LAYERS[0..N) and fill IMG (empty on entry). The layer indexes
 * must stay alive while the result is in use.
 */
int flatten_layers(const struct layer_index *const *layers, uint32_t n,
		   struct image *img, struct flat_result *out,
		   struct error **err);
void flat_result_free(struct flat_result *r);

#endif
