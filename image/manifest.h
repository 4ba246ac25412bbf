/* SPDX-License-Identifier: MIT */
/*
 * Image documents, OCI and Docker v2: manifests and indexes (manifest
 * lists), parsed as untrusted input. JSON types, digests, sizes and media
 * types are checked; an index entry is chosen by tag and platform.
 * Shared by the OCI layout and the registry resolvers (registry*.c).
 */
#ifndef IMAGE_MANIFEST_H
#define IMAGE_MANIFEST_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "../common/error.h"
#include "digest.h"

#define MANIFEST_MAX (4u << 20)		/* manifests, indexes, index.json */
#define LAYER_SIZE_MAX (1ull << 40)	/* 1 TiB: anything larger is a lie */
#define MAX_LAYERS 1024
#define MAX_INDEX_DEPTH 4		/* index in an index in ... */

#define MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define MANIFEST_ACCEPT "Accept: " MT_OCI_INDEX ", " MT_OCI_MANIFEST ", " \
	MT_DOCKER_LIST ", " MT_DOCKER_MANIFEST

enum doc_kind {
	DOC_INDEX,
	DOC_MANIFEST,
};

struct descriptor {
	char *media_type;
	char digest[DIGEST_STRLEN + 1];
	uint64_t size;
};

#define PLATFORM_PART 64

struct platform {
	char os[PLATFORM_PART];
	char arch[PLATFORM_PART];
	char variant[PLATFORM_PART];	/* "" when none */
};

/* "os/arch[/variant]"; NULL: linux/amd64. Arch aliases (x86_64, aarch64) normalized. */
int platform_parse(const char *s, struct platform *p, struct error **err);

/*
 * Parse BUF as an image document. Its type comes from its mediaType,
 * else CONTENT_TYPE (may be NULL), else its keys; EXPECT (the media type
 * of the descriptor that led here, may be NULL) must agree.
 */
int doc_parse(const char *buf, size_t len, const char *content_type,
	      const char *expect, json_t **doc, enum doc_kind *kind,
	      struct error **err);

/*
 * Choose an entry of index DOC. TAG not NULL: only entries whose
 * org.opencontainers.image.ref.name is TAG. TAG NULL: the entries tagged
 * "latest" if any, else all. Among several, PLATFORM decides; a single
 * entry is taken unless its platform says otherwise.
 */
int index_select(json_t *doc, const char *tag, const struct platform *p,
		 struct descriptor *out, struct error **err);

struct image_layer {
	char *url;		/* blob URL (http(s)://.../v2/NAME/blobs/DIGEST) or file path */
	char *digest;		/* "sha256:<hex>" */
	uint64_t size;		/* compressed size from the manifest */
	char *media_type;
	/* zstd:chunked: where the layer's own TOC is (annotations), else NULL */
	char *toc_position, *toc_checksum;
	/* eStargz: the sha256 of its TOC (annotation), else NULL */
	char *estargz_toc_digest;
};

struct image_layers {
	struct image_layer *layers;	/* lowest first */
	size_t count;
	char *config_digest;
	/* the manifest that lists them (the platform's, under an index) */
	char manifest_digest[DIGEST_STRLEN + 1];
	/* docker: its size and media type, and "BASE/v2/NAME"; else 0, NULL */
	uint64_t manifest_size;
	char *manifest_media_type;
	char *repo_url;
};

void image_layers_free(struct image_layers *l);

/* The layers (lowest first) and config of manifest DOC; URL_OF gives each layer's URL. */
typedef char *(*layer_url_fn)(void *ctx, const char *digest);
int manifest_layers(json_t *doc, layer_url_fn url_of, void *ctx,
		    struct image_layers *out, struct error **err);

void descriptor_free(struct descriptor *d);

#endif
