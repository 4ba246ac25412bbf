/* SPDX-License-Identifier: MIT */
/*
 * An index next to a layer on a web server (LAYER_URL.index, what
 * `ovlmig index -o` writes): version 1 is fetched whole; of version 2
 * (the head, then the windows part) the head alone, and each window by
 * range from the same file, by the first read that starts at its
 * checkpoint (docs/INDEX.md, "Where indexes come from").
 */
#ifndef IMAGE_LAYER_SIDECAR_H
#define IMAGE_LAYER_SIDECAR_H

#include <stdint.h>

#include "../common/error.h"
#include "fetch.h"
#include "layer_index.h"

/*
 * Load the index at URL (at most MAX bytes) into IDX: 1 loaded, 0 there
 * is none (the server does not have it), -1 it is there and bad. F must
 * outlive IDX (version 2 reads its windows through it).
 */
int layer_sidecar_load(struct fetcher *f, const char *url, uint64_t max,
		       struct layer_index *idx, struct error **err);

#endif
