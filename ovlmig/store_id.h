/* SPDX-License-Identifier: MIT */
/* The name of an image's directory in the store (store.h). */
#ifndef OVLMIG_STORE_ID_H
#define OVLMIG_STORE_ID_H

#include "../common/error.h"
#include "../image/image.h"

#define STORE_ID_LEN (7 + 64)	/* "sha256-" and 64 hex digits */

/*
 * OUT: "sha256-<hex>" naming H's image: its manifest digest (oci:,
 * docker://), else a digest of its indexed tree (dir:, tar:).
 */
int store_image_id(const struct image_handle *h, char out[STORE_ID_LEN + 1],
		   struct error **err);

#endif
