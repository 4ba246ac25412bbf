/* SPDX-License-Identifier: MIT */
/*
 * An image's config (untrusted, fetched by its digest from the
 * manifest): what the companion push needs of it, the layers' diff_ids
 * (the sha256 of each layer's uncompressed tar, rootfs.diff_ids).
 */
#ifndef IMAGE_IMAGE_CONFIG_H
#define IMAGE_IMAGE_CONFIG_H

#include <stddef.h>

#include "../common/error.h"
#include "digest.h"
#include "fetch.h"
#include "manifest.h"

#define IMAGE_CONFIG_MAX (16u << 20)

/*
 * The diff_ids of docker image IMG's config: *IDS an array of IMG->count
 * digests (malloc'd), checked against the config's digest; a config
 * that does not list exactly one valid sha256 per layer fails.
 */
int image_config_diff_ids(struct fetcher *f, const struct image_layers *img,
			  char (**ids)[DIGEST_STRLEN + 1], struct error **err);

#endif
