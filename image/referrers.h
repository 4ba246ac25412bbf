/* SPDX-License-Identifier: MIT */
/*
 * Layer indexes stored in the image's registry (docs/INDEX.md, "Indexes
 * in the registry"): one OCI artifact per push, an image manifest of
 * artifactType ARTIFACT_TYPE_INDEX whose subject is the image manifest
 * and whose blobs are layer indexes, each annotated with the digest of
 * the layer it indexes. Found through the referrers API, else the OCI
 * 1.1 referrers tag schema (tag "sha256-<hex>" of the subject: an image
 * index listing its referrers).
 *
 * referrers.c: the JSON documents, built and parsed (untrusted);
 * referrers_net.c: push and discovery over a fetcher.
 */
#ifndef IMAGE_REFERRERS_H
#define IMAGE_REFERRERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/error.h"
#include "digest.h"
#include "fetch.h"
#include "layer_index.h"
#include "manifest.h"

#define ARTIFACT_TYPE_INDEX "application/vnd.ovlmig.index.v1"
#define MT_LAYER_INDEX "application/vnd.ovlmig.layer.index.v1"
/*
 * Version 2 of the index (docs/INDEX.md): the head, fetched whole at
 * mount, and right after it in the artifact its windows, fetched by range
 * as reads need them. Both annotated with the layer's digest.
 */
#define MT_LAYER_INDEX_HEAD "application/vnd.ovlmig.layer.index.v2.head"
#define MT_LAYER_INDEX_WINDOWS "application/vnd.ovlmig.layer.index.v2.windows"
/*
 * The same head as one gzip member (image/index_gzip.h): what a push
 * writes since issue 12 (the entries deflate about 12x); plain heads
 * pushed before are still read.
 */
#define MT_LAYER_INDEX_HEAD_GZIP "application/vnd.ovlmig.layer.index.v2.head+gzip"
#define ANNOTATION_LAYER "org.ovlmig.layer.digest"
/*
 * A layer's seekable companion (image/companion.h, docs/INDEX.md "A
 * seekable companion"): its index's head (gzip'd, format version 2),
 * then that index's windows (none: an empty blob of the windows type),
 * then the companion itself; all three annotated with the digest of the
 * layer it stands in for, the companion also with the sha256 of the tar
 * it decompresses to (the layer's diff_id, checked before the push).
 */
#define MT_COMPANION_INDEX_HEAD_GZIP "application/vnd.ovlmig.companion.index.v2.head+gzip"
#define MT_COMPANION "application/vnd.ovlmig.layer.companion.v1.tar+zstd"
#define ANNOTATION_UNCOMPRESSED "org.ovlmig.companion.uncompressed-digest"
#define COMPANION_BLOB_MAX (1ull << 40)	/* read by range, like a layer */
/*
 * After the companion, its span digests: the sha256 of each span's
 * uncompressed bytes (a frame: checkpoint to checkpoint of its index),
 * 32 bytes each, read by range a page of COMPANION_SPAN_PAGE at a time
 * by the reads that need them; annotated with the sha256 of each page,
 * in hex, back to back (what a mount trusts them by).
 */
#define MT_COMPANION_SPANS "application/vnd.ovlmig.companion.spans.v1"
#define ANNOTATION_SPAN_PAGES "org.ovlmig.companion.span-pages"
#define COMPANION_SPAN_PAGE 128u	/* span digests a page: 4 KiB */
#define COMPANION_PAGES_MAX (1u << 22)	/* hex bytes of the annotation */
#define COMPANION_READ_CHUNK (4u << 10)	/* a companion with span digests: fetched by 4 KiB */
/* the files a container opened first, one path a line (--record-access) */
#define MT_PREFETCH_LIST "application/vnd.ovlmig.prefetch-list.v1"
/* the artifact's config blob: OCI 1.1's empty descriptor content */
#define EMPTY_JSON "{}"

#define INDEX_BLOB_MAX (256u << 20)	/* one layer index, downloaded whole */
#define INDEX_WINDOWS_MAX (1ull << 40)	/* a windows blob, read by range */
#define PREFETCH_LIST_MAX (16u << 20)	/* a pushed prefetch list */
#define REFERRERS_MAX 64		/* artifacts of ours looked at per image */

/* A blob of an artifact by digest and size; digest[0] == 0: none. */
struct blob_ref {
	char digest[DIGEST_STRLEN + 1];
	uint64_t size;
};

/*
 * A layer index blob: which layer it indexes and the blob that holds it
 * (version 1 whole, or a version 2 head), and a version 2 head's
 * windows blob (digest[0] == 0 for version 1).
 */
struct index_ref {
	char layer[DIGEST_STRLEN + 1];
	char digest[DIGEST_STRLEN + 1];
	uint64_t size;
	struct blob_ref windows;
	bool gzip;		/* a version 2 head as one gzip member */
	/*
	 * digest[0] != 0: the head indexes the layer's companion, this
	 * blob, which stands in for the layer (the index's digest and size
	 * are the companion's); uncompressed: its tar's sha256
	 */
	struct blob_ref companion;
	char uncompressed[DIGEST_STRLEN + 1];
	/*
	 * the companion's span digests (digest[0] == 0: none) and the
	 * sha256 of each page of them, hex (malloc'd, or NULL)
	 */
	struct blob_ref spans;
	char *span_pages;
};

struct index_refs {
	struct index_ref *refs;		/* newest artifact first */
	size_t count;
	struct blob_ref prefetch_list;	/* that of the newest artifact with one */
};

void index_refs_free(struct index_refs *r);

/*
 * The artifact manifest for N index blobs of image manifest SUBJECT
 * (its digest, size and media type), and the prefetch list blob LIST
 * (NULL: none). *json malloc'd, compact.
 */
int referrer_manifest_build(const struct descriptor *subject,
			    const struct index_ref *blobs, size_t n,
			    const struct blob_ref *list,
			    char **json, size_t *len, struct error **err);

/*
 * Add the index blobs that artifact manifest BUF lists for SUBJECT to
 * OUT. A manifest of another artifact type or subject adds nothing (0);
 * a malformed one fails.
 */
int referrer_manifest_parse(const char *buf, size_t len,
			    const char *subject, struct index_refs *out,
			    struct error **err);

/*
 * The referrers index with ENTRY (an artifact manifest of our type)
 * listed, from OLD (NULL: none yet): every other entry is kept, an entry
 * of the same digest replaced. *json malloc'd.
 */
int referrers_index_add(const char *old, size_t oldlen,
			const struct descriptor *entry, char **json,
			size_t *len, struct error **err);

/*
 * The artifact manifests of our type that referrers index BUF lists,
 * newest (last listed) first, at most REFERRERS_MAX. *out: an array of
 * *n descriptors.
 */
int referrers_index_ours(const char *buf, size_t len,
			 struct descriptor **out, size_t *n,
			 struct error **err);
void descriptors_free(struct descriptor *d, size_t n);

/* A layer's companion to push: the file and its index (built from it). */
struct companion_file {
	struct layer_index idx;		/* version 0: no companion */
	int fd;				/* the companion, read whole */
	char uncompressed[DIGEST_STRLEN + 1];	/* the tar's sha256, checked */
	uint8_t (*spans)[32];		/* each span's sha256 (idx.ncheckpoints) */
};

/*
 * Push IDX[i], the index of layer i of IMG (a docker image), COMP[i]
 * its companion (COMP NULL: none), and LIST, LIST_LEN bytes of a
 * prefetch list (NULL: none), in one artifact. A layer whose
 * IDX[i].version is 0 gets no index blob (a layer with its own TOC,
 * which mounts read instead); an artifact may so hold the list alone,
 * but not nothing.
 */
int referrers_push(struct fetcher *f, const struct image_layers *img,
		   const struct layer_index *idx,
		   const struct companion_file *comp, const char *list,
		   size_t list_len, struct error **err);

/*
 * The layer index blobs pushed for image manifest MANIFEST_DIGEST of
 * the repository at REPO_URL ("BASE/v2/NAME"); none is not an error.
 */
int referrers_find(struct fetcher *f, const char *repo_url,
		   const char *manifest_digest, struct index_refs *out,
		   struct error **err);

/*
 * Download REF's blob, check it against REF's digest and size (a gzip'd
 * head: then inflate it, at most INDEX_BLOB_MAX bytes), decode it
 * and check that it indexes REF's layer (a companion's index: REF's
 * companion blob, its digest and size; with span digests, IDX is made
 * to read the companion by 4 KiB chunks checked span by span: its
 * span_sha256 allocated zeroed, for span_pages_ensure to fill). A version 2 head keeps its
 * windows in the registry: reads fetch them by range from REF's windows
 * blob (F must outlive IDX); *HEAD (HEAD not NULL) then gets the head's
 * bytes (inflated), malloc'd, for the index cache.
 */
int referrers_load(struct fetcher *f, const char *repo_url,
		   const struct index_ref *ref, struct layer_index *idx,
		   char **head, size_t *head_len, struct error **err);
/*
 * A version 2 head's windows, read by range from the blob its header
 * names (windows_sha256) in the repository at REPO_URL.
 */
int referrers_windows(struct fetcher *f, const char *repo_url,
		      struct layer_index *idx, struct error **err);

/*
 * The prefetch list blob REF of the repository at REPO_URL, checked
 * against REF's digest and size: *buf malloc'd, *len bytes.
 */
int referrers_load_list(struct fetcher *f, const char *repo_url,
			const struct blob_ref *ref, char **buf, size_t *len,
			struct error **err);

#endif
