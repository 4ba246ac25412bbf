/* SPDX-License-Identifier: MIT */
/*
 * Image references: turn a source argument into the list of its layers,
 * lowest first.
 *   oci:DIR[:TAG]                an OCI image layout on disk; the last ':'
 *                                 after the last '/' starts TAG. Without
 *                                 TAG: the manifest tagged "latest", else
 *                                 the only one, else the one for PLATFORM.
 *                                 Layer URLs are absolute blob paths.
 *   docker://HOST[:PORT]/NAME:TAG   a registry, API v2 (NAME may have '/';
 *                                 @sha256:... instead of :TAG also works;
 *                                 no TAG: latest). HTTPS, verified; plain
 *                                 http only when the fetcher is insecure
 *                                 and HOST is loopback (localhost,
 *                                 127.0.0.0/8, [::1]). docker.io means
 *                                 registry-1.docker.io, "x" library/x.
 * Manifest lists and OCI indexes pick the manifest for PLATFORM
 * ("linux/amd64" when NULL; an unset variant matches any). Every
 * document is untrusted: sizes, digests and media types are checked,
 * the manifest's own digest is verified when it was asked for by digest.
 * Layers: OCI tar, tar+gzip, tar+zstd and Docker tar.gzip; encrypted and
 * foreign layers are refused.
 */
#ifndef IMAGE_REGISTRY_H
#define IMAGE_REGISTRY_H

#include <stddef.h>
#include <stdint.h>

#include "../common/error.h"
#include "fetch.h"
#include "manifest.h"

/* SPEC without its scheme: "DIR[:TAG]" for oci, "//HOST/NAME:TAG" for docker. */
int image_resolve_oci(const char *spec, const char *platform,
		      struct image_layers *out, struct error **err);
int image_resolve_docker(struct fetcher *f, const char *spec,
			 const char *platform, struct image_layers *out,
			 struct error **err);

#endif
