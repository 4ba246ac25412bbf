// SPDX-License-Identifier: MIT
/*
 * The published prefetch list's descriptor kept in the index cache, beside
 * the heads: whoever asked the registry for the image's referrers (ovlmig
 * opening the image for strategy store) leaves it for a later reader of
 * the same cache that finds every index there and asks nothing (its
 * lowerfs), so that one still fetches the list.
 */
#ifndef OVLMIG_IMAGE_LIST_REF_H
#define OVLMIG_IMAGE_LIST_REF_H

#include "../common/error.h"
#include "referrers.h"

/*
 * Keep REF (digest[0] == 0: none, the kept one removed) as the list of
 * image manifest MANIFEST_DIGEST in the repository at REPO_URL, under
 * CACHE_DIR/indexes.
 */
int list_ref_save(const char *cache_dir, const char *manifest_digest,
		  const char *repo_url, const struct blob_ref *ref,
		  struct error **err);
/*
 * The kept descriptor: 1 into *REF, 0 none, -1 one that does not parse
 * (it is removed; *ERR says why).
 */
int list_ref_load(const char *cache_dir, const char *manifest_digest,
		  const char *repo_url, struct blob_ref *ref,
		  struct error **err);

#endif
