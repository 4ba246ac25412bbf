/* SPDX-License-Identifier: MIT */
/*
 * The layers of a remote image, ready to read: each with its index and
 * its blob (the compressed bytes behind the chunk cache).
 *
 * An index comes from, in this order: an --index file (matched by the
 * layer's digest, else by position), the sidecar LAYER.index next to a
 * tar layer (file or URL), the index cache CACHE/indexes/ (by digest, or
 * by URL for a tar layer whose digest is not known in advance); else the
 * indexes pushed to the image's registry (`ovlmig index --push`,
 * image/referrers.h; a blob that fails its checks is logged and passed
 * over; a pushed companion, companion.h, first: the layer is then read
 * from the companion blob through the companion's index); else the layer's own TOC (zstd:chunked, layer_toc.h: only the
 * TOC is fetched); else the layer is streamed once to build it (logged;
 * up to 4 layers at once), and once it is checked against the layer the
 * index is kept in the index cache and a remote layer's streamed bytes in
 * the chunk cache (blob_spool.h), so they are never fetched twice.
 */
#ifndef IMAGE_LAYER_SET_H
#define IMAGE_LAYER_SET_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/error.h"
#include "blob.h"
#include "digest.h"
#include "fetch.h"
#include "layer_index.h"
#include "referrers.h"
#include "source.h"
#include "span_pages.h"

struct layer {
	char *url;		/* path, file://, http(s):// */
	char *digest;		/* known before indexing (oci, docker), else NULL */
	uint64_t size;		/* compressed size when known, else 0 */
	char *toc_position, *toc_checksum;	/* zstd:chunked annotations, else NULL */
	char *estargz_toc_digest;	/* eStargz annotation, else NULL */
	/*
	 * read through its companion (companion.h, pushed as a referrer):
	 * the companion blob's URL; idx then is the companion's index (its
	 * digest and size the companion's), else NULL
	 */
	char *companion_url;
	struct span_pages *spans;	/* its span digests, fetched as reads need them, else NULL */
	struct layer_index idx;
	/* read through its own TOC: where the TOC starts, after every file's data */
	uint64_t toc_off;
	struct blob *blob;
	const char *index_from;	/* where the index came from, for the log */
	atomic_bool ready;	/* idx and blob set: read without the lock */
};

struct layer_set {
	struct fetcher *fetcher;
	struct layer *layers;	/* lowest first */
	uint32_t count;
	/* oci, docker: the image manifest's digest; tar: "" */
	char manifest_digest[DIGEST_STRLEN + 1];
	char *repo_url;			/* docker: "BASE/v2/NAME"; else NULL */
	struct index_refs pushed;	/* docker: indexes in the registry */
	bool pushed_looked;		/* asked the registry for them */
	const struct source_opts *opts;	/* for layers opened later */
	pthread_mutex_t lock;		/* one opener of layers at a time */
	uint64_t xattr_bytes;		/* of the layers opened */
	/*
	 * the published prefetch list, fetched by its own thread from the
	 * moment the registry names it (opts->prefetch_list_early) until
	 * layer_set_prefetch_list takes it; under list_lock
	 */
	pthread_mutex_t list_lock;
	pthread_t list_thread;
	bool list_started;		/* the thread runs or awaits its join */
	int list_ret;			/* its result, once joined */
	char *list_buf;
	size_t list_len;
	struct error *list_err;
};

enum layer_set_kind { LAYER_SET_TAR, LAYER_SET_OCI, LAYER_SET_DOCKER };

int layer_set_open(enum layer_set_kind kind, const char *arg,
		   const struct source_opts *opts, struct layer_set *out,
		   struct error **err);
/*
 * The same without any index: only the manifest (oci, docker) or the
 * names (tar). Each layer is indexed and opened on its first read
 * (layer_set_ready), for an image whose tree is known already (a saved
 * tree). OPTS must outlive LS.
 */
int layer_set_open_lazy(enum layer_set_kind kind, const char *arg,
			const struct source_opts *opts, struct layer_set *ls,
			struct error **err);
/* Index and open every layer not opened yet. */
int layer_set_open_all(struct layer_set *ls, struct error **err);
/* Layer L indexed and opened (once; later calls return at once). */
int layer_set_ready(struct layer_set *ls, uint32_t l, struct error **err);
void layer_set_close(struct layer_set *ls);

/* Stream the layer at URL (path or http(s)) once and index it. */
int layer_index_build_url(struct fetcher *f, const char *url,
			  struct layer_index *idx, struct error **err);
/* The same with CHUNK_SIZE and gzip checkpoints every SPAN (`ovlmig index`). */
int layer_index_build_url_spaced(struct fetcher *f, const char *url,
				 uint32_t chunk_size, uint64_t span,
				 struct layer_index *idx, struct error **err);

/*
 * The compressed layer at URL (path or http(s)) streamed once to FN,
 * which reads it with NEXT(NEXT_CTX, ...) (`ovlmig index --companion`).
 */
typedef int (*layer_consume_fn)(layer_stream_fn next, void *next_ctx,
				void *arg, struct error **err);
int layer_url_consume(struct fetcher *f, const char *url, layer_consume_fn fn,
		      void *arg, struct error **err);

/* Read LEN bytes at OFF of layer L's uncompressed stream into SINK. */
int layer_set_read(struct layer_set *ls, uint32_t l, uint64_t off,
		   uint64_t len, layer_sink_fn sink, void *ctx,
		   struct error **err);
/*
 * A layer read through its own TOC: fetch the spans under [OFF, OFF+LEN)
 * of layer L all at once (one request for a file's chunks), for a reader
 * that then reads them span by span. 0 and nothing done for other layers.
 */
int layer_set_fetch_spans(struct layer_set *ls, uint32_t l, uint64_t off,
			  uint64_t len, struct error **err);
/*
 * A layer read through its own TOC: the compressed bytes [*START, *END)
 * of layer L that a read of [OFF, OFF+LEN) fetches (its spans, whole).
 * 1 set, 0 not known (other layers, nothing to read), -1 error.
 */
int layer_set_extent(struct layer_set *ls, uint32_t l, uint64_t off,
		     uint64_t len, uint64_t *start, uint64_t *end,
		     struct error **err);
/*
 * Make the compressed bytes [START, END) of layer L present in its
 * cached blob, in as few range requests as the blob makes of them (one
 * per 4 MiB; none for chunks already there, waits for those in flight):
 * the files a prefetch list names next to each other in one request.
 * Checked later, span by span, by the reads that use them.
 */
int layer_set_fetch_extent(struct layer_set *ls, uint32_t l, uint64_t start,
			   uint64_t end, struct error **err);
/* Fetch the compressed chunks that hold [OFF, OFF+LEN) of layer L. */
int layer_set_warm(struct layer_set *ls, uint32_t l, uint64_t off,
		   uint64_t len, struct error **err);

/*
 * docker: the prefetch list pushed with the indexes (`ovlmig index --push
 * --prefetch-list`), digest-checked; *buf NULL when there is none or the
 * registry was not asked for indexes (all came from the cache). The
 * first call takes the list fetched while the layers were opened
 * (opts->prefetch_list_early), waiting for it if it is still on its way;
 * later calls fetch it again.
 */
int layer_set_prefetch_list(struct layer_set *ls, char **buf, size_t *len,
			    struct error **err);

#endif
