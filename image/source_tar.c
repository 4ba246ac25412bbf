// SPDX-License-Identifier: MIT
/*
 * Remote images: tar:LAYER[,LAYER...], oci:DIR[:TAG], docker://HOST/NAME:TAG.
 * The layers are indexed (layer_set.c), flattened into the image
 * (flatten.c), and file data is read out of the compressed layers on
 * demand through the verified chunk cache (blob.c).
 */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../common/util.h"
#include "digest.h"
#include "flatten.h"
#include "../common/json_path.h"
#include "layer_set.h"
#include "log.h"
#include "saved_tree.h"
#include "span_cache.h"

/* decompressed spans kept for chunked reads: 8 x ~4 MiB */
#define SPAN_SLOTS 8
#define SPAN_MAX (16u << 20)
#define SPAN_SMALL_FILE (1u << 20)	/* fetched through the spans */

struct tar_source {
	struct source base;
	enum layer_set_kind kind;
	char *arg;
	struct source_opts opts;
	struct layer_set ls;
	struct flat_result flat;
	struct span_cache *spans;
};

static struct tar_source *to_tar(struct source *s)
{
	return (struct tar_source *)s;
}

static int open_kind(enum layer_set_kind kind, const char *scheme,
		     const char *arg, const struct source_opts *opts,
		     struct source **out, struct error **err)
{
	struct tar_source *ts;

	if (!*arg)
		return error_set(err, EINVAL, "%s: nothing named", scheme);
	if (kind == LAYER_SET_DOCKER && strncmp(arg, "//", 2))
		return error_set(err, EINVAL,
				 "%s%s: expected docker://HOST[:PORT]/NAME:TAG",
				 scheme, arg);
	if (!opts->cache_dir)
		return error_set(err, EINVAL,
				 "%s%s: needs --cache DIR (chunks and indexes are kept there)",
				 scheme, arg);
	ts = calloc(1, sizeof(*ts));
	if (!ts || !(ts->arg = strdup(arg))) {
		free(ts);
		return error_set(err, ENOMEM, "%s%s", scheme, arg);
	}
	ts->kind = kind;
	ts->opts = *opts;
	*out = &ts->base;
	return 0;
}

static int tar_open(const char *arg, const struct source_opts *opts,
		    struct source **out, struct error **err)
{
	return open_kind(LAYER_SET_TAR, "tar:", arg, opts, out, err);
}

static int oci_open(const char *arg, const struct source_opts *opts,
		    struct source **out, struct error **err)
{
	return open_kind(LAYER_SET_OCI, "oci:", arg, opts, out, err);
}

static int docker_open(const char *arg, const struct source_opts *opts,
		       struct source **out, struct error **err)
{
	return open_kind(LAYER_SET_DOCKER, "docker:", arg, opts, out, err);
}

/* The image from the layers' indexes (all opened). */
static int flatten(struct tar_source *ts, struct image *img, struct error **err)
{
	const struct layer_index **idx;
	uint32_t i;
	int ret;

	idx = calloc(ts->ls.count, sizeof(*idx));
	if (!idx)
		return error_set(err, ENOMEM, "image of %u layers", ts->ls.count);
	for (i = 0; i < ts->ls.count; i++)
		idx[i] = &ts->ls.layers[i].idx;
	ret = flatten_layers(idx, ts->ls.count, img, &ts->flat, err);
	free(idx);
	if (ret == 0 && ts->flat.ignored)
		image_log("%u layer entries ignored (see above)",
			    ts->flat.ignored);
	return ret;
}

/* oci, docker: every layer has its digest from the manifest */
static const char *layer_name(const struct layer *l)
{
	return l->digest ? l->digest : l->url;
}

/*
 * What a saved tree belongs to: the image manifest (which names every
 * layer by digest; an index is checked against its layer's digest and
 * size when it is opened) and the index format the tree was flattened
 * from. Malloc'd.
 */
static char *tree_identity(const struct layer_set *ls)
{
	size_t len = 64 + strlen(ls->manifest_digest);
	char *id, *p;
	uint32_t i;

	for (i = 0; i < ls->count; i++)
		len += strlen(layer_name(&ls->layers[i])) + 1;
	id = malloc(len);
	if (!id)
		return NULL;
	p = id + sprintf(id, "saved tree of index v%u, manifest %s, layers",
			 LAYER_INDEX_VERSION, ls->manifest_digest);
	for (i = 0; i < ls->count; i++)
		p += sprintf(p, " %s", layer_name(&ls->layers[i]));
	return id;
}

/* Every file's data lies in a layer of this image. */
static int check_layers(const struct tar_source *ts, struct error **err)
{
	uint32_t i;

	for (i = 0; i < ts->flat.nfiles; i++)
		if (ts->flat.files[i].layer >= ts->ls.count)
			return error_set(err, EBADMSG,
					 "saved tree: a file in layer %u of %u",
					 ts->flat.files[i].layer, ts->ls.count);
	return 0;
}

/*
 * 1: IMG from the saved tree, 0: none usable (logged, IMG left empty;
 * *MISSING: there was none, rather than one refused).
 */
static int load_saved(struct tar_source *ts, const char *path, const char *id,
		      struct image *img, bool *missing)
{
	struct error *why = NULL;

	if (saved_tree_load(path, id, img, &ts->flat, &why) == 0 &&
	    check_layers(ts, &why) == 0) {
		image_log("tree from the saved tree %s: %u entries, no layer index read",
			  path, img->count);
		return 1;
	}
	*missing = why->errnum == ENOENT;
	if (*missing)
		image_log("no saved tree yet: reading the layer indexes");
	else
		image_log("saved tree refused (%s): reading the layer indexes",
			  why->msg);
	error_free(&why);
	image_free(img);
	image_init(img);
	flat_result_free(&ts->flat);
	return 0;
}

/*
 * Best effort: the next lowerfs of the image reads the indexes instead.
 * A tree that was missing and is there now was saved meanwhile (ovlmig
 * saves it while this lowerfs indexes): not written twice.
 */
static void save_tree(struct tar_source *ts, const char *path, const char *id,
		      struct image *img, bool missing)
{
	struct error *why = NULL;

	if (missing && access(path, F_OK) == 0)
		return;
	if (image_finalize(img, &why) < 0 ||
	    saved_tree_save(path, img, &ts->flat, id, &why) < 0) {
		image_log("not saving the tree: %s", why->msg);
		error_free(&why);
		return;
	}
	image_log("tree saved to %s", path);
}

/* ROOT/sha256-HEX/tree.saved: the store entry by the manifest digest. */
static char *saved_path(const struct tar_source *ts)
{
	const char *d = ts->ls.manifest_digest;
	char *path;

	if (!digest_valid(d) ||
	    asprintf(&path, "%s/sha256-%s/%s", ts->opts.store_root,
		     d + strlen(DIGEST_PREFIX), SAVED_TREE_FILE) < 0)
		return NULL;
	return path;
}

static int tar_index(struct source *s, struct image *img, struct error **err)
{
	struct tar_source *ts = to_tar(s);
	char *id = NULL, *path = NULL;
	bool missing = false;
	int ret = -1;

	if (span_cache_new(SPAN_SLOTS, SPAN_MAX, &ts->spans, err) < 0)
		return -1;
	if (!ts->opts.store_root || ts->kind == LAYER_SET_TAR)
		return layer_set_open(ts->kind, ts->arg, &ts->opts, &ts->ls, err) < 0 ?
		       -1 : flatten(ts, img, err);
	if (layer_set_open_lazy(ts->kind, ts->arg, &ts->opts, &ts->ls, err) < 0)
		return -1;
	id = tree_identity(&ts->ls);
	path = saved_path(ts);
	if (!id || !path) {
		error_set(err, ENOMEM, "saved tree");
		goto out;
	}
	if (load_saved(ts, path, id, img, &missing)) {
		ret = 0;
		goto out;
	}
	if (layer_set_open_all(&ts->ls, err) < 0 || flatten(ts, img, err) < 0)
		goto out;
	save_tree(ts, path, id, img, missing);
	ret = 0;
out:
	free(path);
	free(id);
	return ret;
}

static int tar_save_tree(struct source *s, const struct image *img,
			 const char *path, struct error **err)
{
	struct tar_source *ts = to_tar(s);
	char *id;
	int ret;

	if (ts->kind == LAYER_SET_TAR)
		return error_set(err, ENOTSUP, "tar: source: no saved tree");
	id = tree_identity(&ts->ls);
	if (!id)
		return error_set(err, ENOMEM, "saved tree");
	ret = saved_tree_save(path, img, &ts->flat, id, err);
	free(id);
	return ret;
}

static const struct flat_file *file_of(struct tar_source *ts,
				       const struct image *img, uint32_t node,
				       struct error **err)
{
	const struct image_node *n = &img->nodes[node];

	if (n->src_off >= ts->flat.nfiles) {
		error_set(err, EINVAL, "node %u has no data", node);
		return NULL;
	}
	return &ts->flat.files[n->src_off];
}

static int fd_sink(void *ctx, const void *buf, size_t len, struct error **err)
{
	if (write_all(*(int *)ctx, buf, len) < 0)
		return error_set(err, errno, "write to the cache");
	return 0;
}

/*
 * A small file through the span cache: fetching the files of a layer one
 * by one (a migration, a prefetch) then decompresses each span once, not
 * once per file.
 */
static int fetch_small(struct tar_source *ts, const struct flat_file *f,
		       source_sink_fn sink, void *ctx, struct error **err)
{
	char *buf = malloc(f->size ? f->size : 1);
	int ret = -1;

	if (!buf)
		return error_set(err, ENOMEM, "%llu bytes",
				 (unsigned long long)f->size);
	if (span_cache_read(ts->spans, &ts->ls, f->layer, f->data_off, buf,
			    f->size, f->data_off + f->size, err) == 0)
		ret = f->size ? sink(ctx, buf, f->size, err) : 0;
	free(buf);
	return ret;
}

static int tar_fetch_sink(struct source *s, const struct image *img,
			  uint32_t node, source_sink_fn sink, void *ctx,
			  struct error **err)
{
	struct tar_source *ts = to_tar(s);
	const struct flat_file *f = file_of(ts, img, node, err);

	if (!f)
		return -1;
	if (f->size <= SPAN_SMALL_FILE)
		return fetch_small(ts, f, sink, ctx, err);
	/* one decompression pass from the checkpoint before it */
	return layer_set_read(&ts->ls, f->layer, f->data_off, f->size, sink,
			      ctx, err);
}

static int tar_fetch(struct source *s, const struct image *img, uint32_t node,
		     int fd, struct error **err)
{
	return tar_fetch_sink(s, img, node, fd_sink, &fd, err);
}

static ssize_t tar_read(struct source *s, const struct image *img,
			uint32_t node, uint64_t off, void *buf, size_t len,
			struct error **err)
{
	struct tar_source *ts = to_tar(s);
	const struct flat_file *f = file_of(ts, img, node, err);

	if (!f)
		return -1;
	if (off >= f->size)
		return 0;
	if (len > f->size - off)
		len = (size_t)(f->size - off);
	if (span_cache_read(ts->spans, &ts->ls, f->layer, f->data_off + off,
			    buf, len, f->data_off + f->size, err) < 0)
		return -1;
	return (ssize_t)len;
}

static int tar_locate(struct source *s, const struct image *img, uint32_t node,
		      uint32_t *layer, uint64_t *off, struct error **err)
{
	const struct flat_file *f = file_of(to_tar(s), img, node, err);

	if (!f)
		return -1;
	*layer = f->layer;
	*off = f->data_off;
	return 0;
}

static int tar_warm(struct source *s, const struct image *img, uint32_t node,
		    struct error **err)
{
	struct tar_source *ts = to_tar(s);
	const struct flat_file *f = file_of(ts, img, node, err);

	if (!f)
		return -1;
	return layer_set_warm(&ts->ls, f->layer, f->data_off, f->size, err);
}

static int tar_extent(struct source *s, const struct image *img, uint32_t node,
		      uint32_t *layer, uint64_t *start, uint64_t *end,
		      struct error **err)
{
	struct tar_source *ts = to_tar(s);
	const struct flat_file *f = file_of(ts, img, node, err);

	if (!f)
		return -1;
	*layer = f->layer;
	return layer_set_extent(&ts->ls, f->layer, f->data_off, f->size, start,
				end, err);
}

static int tar_fetch_extent(struct source *s, uint32_t layer, uint64_t start,
			    uint64_t end, struct error **err)
{
	return layer_set_fetch_extent(&to_tar(s)->ls, layer, start, end, err);
}

static json_t *tar_stats(struct source *s)
{
	struct tar_source *ts = to_tar(s);
	struct fetch_stats fs = { 0 };
	struct blob_stats total = { 0 };
	json_t *layers = json_array(), *layer;
	uint32_t i;

	if (!layers)
		return NULL;
	if (ts->ls.fetcher)
		fetcher_stats(ts->ls.fetcher, &fs);
	for (i = 0; i < ts->ls.count; i++) {
		const struct layer *l = &ts->ls.layers[i];
		bool ready = atomic_load(&l->ready);
		struct blob_stats b = { 0 };

		/* a layer no read has needed yet (saved tree): not opened */
		if (ready)
			blob_stats(l->blob, &b);
		total.chunks_fetched += b.chunks_fetched;
		total.bytes_fetched += b.bytes_fetched;
		total.chunks_cached += b.chunks_cached;
		total.nchunks += b.nchunks;
		total.mismatches += b.mismatches;
		layer = json_pack("{s:s, s:s, s:I, s:I, s:b, s:b, s:I, s:I}",
			"digest", ready ? l->idx.digest : l->digest,
			"compression", ready ? layer_compression_name(l->idx.compression) :
				       "not opened yet",
			"chunks_cached", (json_int_t)b.chunks_cached,
			"chunks", (json_int_t)b.nchunks,
			"seekable", l->idx.seekable, "verified", b.verified,
			"whole_checks", (json_int_t)b.whole_checks,
			"chunks_reread", (json_int_t)b.chunks_reread);
		/* a local layer's path may not be UTF-8: never left out */
		if (!layer || json_path_set(layer, "url", l->url) < 0 ||
		    json_array_append_new(layers, layer) < 0) {
			json_decref(layer);
			json_decref(layers);
			return NULL;
		}
	}
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:o}",
			 "http_requests", (json_int_t)fs.requests,
			 "http_retries", (json_int_t)fs.retries,
			 "http_bytes", (json_int_t)fs.bytes,
			 "chunks_fetched", (json_int_t)total.chunks_fetched,
			 "chunks_cached", (json_int_t)total.chunks_cached,
			 "chunks", (json_int_t)total.nchunks,
			 "chunk_mismatches", (json_int_t)total.mismatches,
			 "layers", layers);
}

static int tar_health(struct source *s, struct fetch_health *out,
		      struct error **err)
{
	struct tar_source *ts = to_tar(s);

	if (!ts->ls.fetcher) {
		memset(out, 0, sizeof(*out));
		out->reachable = true;
		return 0;
	}
	return fetcher_health(ts->ls.fetcher, out, err);
}

static const char *tar_digest(struct source *s)
{
	struct tar_source *ts = to_tar(s);

	return ts->ls.manifest_digest[0] ? ts->ls.manifest_digest : NULL;
}

static int tar_prefetch_list(struct source *s, char **buf, size_t *len,
			     struct error **err)
{
	return layer_set_prefetch_list(&to_tar(s)->ls, buf, len, err);
}

static void tar_close(struct source *s)
{
	struct tar_source *ts = to_tar(s);

	layer_set_close(&ts->ls);
	span_cache_free(ts->spans);
	flat_result_free(&ts->flat);
	free(ts->arg);
	free(ts);
}

#define TAR_OPS(name, scheme_, help_, open_) \
	const struct source_ops name = { \
		.scheme = scheme_, .help = help_, .open = open_, \
		.index = tar_index, .fetch = tar_fetch, .fetch_sink = tar_fetch_sink, \
		.read = tar_read, \
		.locate = tar_locate, .warm = tar_warm, .extent = tar_extent, \
		.fetch_extent = tar_fetch_extent, .stats = tar_stats, .health = tar_health, \
		.digest = tar_digest, .prefetch_list = tar_prefetch_list, \
		.save_tree = tar_save_tree, \
		.close = tar_close, \
	}

TAR_OPS(source_tar_ops, "tar",
	"LAYER[,LAYER...]  tar layers (plain, gzip, zstd), lowest first: paths, file://, http(s)://",
	tar_open);
TAR_OPS(source_oci_ops, "oci", "DIR[:TAG]  an OCI image layout", oci_open);
TAR_OPS(source_docker_ops, "docker",
	"//HOST[:PORT]/NAME:TAG  an image in a registry (API v2)", docker_open);
