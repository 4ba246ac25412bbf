// SPDX-License-Identifier: MIT
/*
 * The manifest digest of an oci: or docker:// image without opening it:
 * only the layout's index.json and manifest, or the registry's manifest,
 * are read; no layer index. A caller that keeps what it built from an
 * image by that digest can find it before paying for image_open().
 */
#include <errno.h>
#include <string.h>

#include "fetch.h"
#include "image.h"
#include "manifest.h"
#include "registry.h"

int image_peek_digest(const char *spec, const struct source_opts *opts,
		      char out[DIGEST_STRLEN + 1], struct error **err)
{
	struct fetch_opts fo = { .insecure = opts->insecure, .grace_ms = opts->fetch_grace_ms };
	struct image_layers il;
	struct fetcher *f = NULL;
	int ret;

	out[0] = '\0';
	if (!strncmp(spec, "oci:", 4)) {
		ret = image_resolve_oci(spec + 4, opts->platform, &il, err);
	} else if (!strncmp(spec, "docker:", 7)) {
		if (fetcher_new(&fo, &f, err) < 0)
			return -1;
		ret = image_resolve_docker(f, spec + 7, opts->platform, &il, err);
		fetcher_free(f);
	} else {
		return 0;	/* dir:, tar: have no manifest */
	}
	if (ret < 0)
		return -1;
	memcpy(out, il.manifest_digest, DIGEST_STRLEN + 1);
	image_layers_free(&il);
	return 0;
}
