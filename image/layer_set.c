// SPDX-License-Identifier: MIT
#include "layer_set.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/fsutil.h"
#include "../common/util.h"
#include "blob_spool.h"
#include "digest.h"
#include "log.h"
#include "layer_estargz.h"
#include "layer_sidecar.h"
#include "layer_toc.h"
#include "list_ref.h"
#include "registry.h"

#define SIDECAR_MAX (512ull << 20)
/* xattr names and values of all layers together (each layer: LAYER_XATTR_LAYER_MAX) */
#define IMAGE_XATTR_MAX (128ull << 20)
/* layers streamed at once to build their indexes: one stream each */
#define INDEX_STREAMS 4

/* ---- where an index comes from ---- */

static char *cache_index_path(const char *cache_dir, const char *key)
{
	char *dir = path_join(cache_dir, "indexes"), *p = NULL;

	if (dir && asprintf(&p, "%s/%s.index", dir, key) < 0)
		p = NULL;
	free(dir);
	return p;
}

/* Index cache key of a tar layer known only by its URL. */
static int url_key(const char *url, char key[4 + 65])
{
	uint8_t md[32];

	if (sha256_buf(url, strlen(url), md) < 0)
		return -1;
	memcpy(key, "url-", 4);
	sha256_hex(md, key + 4);
	return 0;
}

static int encode_index(int fd, const void *idx, struct error **err)
{
	return layer_index_encode(idx, fd, err);
}

static int save_index(const struct layer_index *idx, const char *cache_dir,
		      const char *key, struct error **err)
{
	char *dir = path_join(cache_dir, "indexes");
	char *path = cache_index_path(cache_dir, key);
	int ret = -1;

	if (!dir || !path)
		error_set(err, ENOMEM, "index cache");
	/* indexes are built before the file cache opens: the cache directory
	 * itself may not exist yet */
	else if (make_dirs(dir, 0700, err) == 0)
		ret = file_replace(path, 0600, 0, encode_index, idx, err);
	free(path);
	free(dir);
	return ret;
}

/* The sidecar LAYER.index: 1 found, 0 none, -1 a broken one. */
static int load_sidecar(struct layer_set *ls, const char *url,
			struct layer_index *idx, struct error **err)
{
	const char *path = fetch_local_path(url);
	char *side = NULL;
	int ret;

	if (asprintf(&side, "%s.index", path ? path : url) < 0)
		return error_set(err, ENOMEM, "sidecar index");
	if (path) {
		ret = access(side, F_OK) < 0 ? 0 :
		      layer_index_load(side, idx, err) < 0 ? -1 : 1;
		goto out;
	}
	ret = layer_sidecar_load(ls->fetcher, side, SIDECAR_MAX, idx, err);
out:
	if (ret < 0)
		error_wrap(err, "index %s", side);
	free(side);
	return ret;
}

/*
 * A version 2 head from the registry, kept as is: its windows stay in
 * that repository (a layer may be in others without them), so the file
 * is named by both.
 */
static char *cache_head_path(const char *cache_dir, const char *hex,
			     const char *repo_url)
{
	char key[65 + 1 + 16 + 5 + 1];
	uint8_t md[32];
	char rhex[65];

	if (sha256_buf(repo_url, strlen(repo_url), md) < 0)
		return NULL;
	sha256_hex(md, rhex);
	snprintf(key, sizeof(key), "%.64s-%.16s.head", hex, rhex);
	return cache_index_path(cache_dir, key);
}

static int save_head(const char *cache_dir, const char *hex, const char *repo_url,
		     const char *head, size_t len, struct error **err)
{
	char *dir = path_join(cache_dir, "indexes");
	char *path = cache_head_path(cache_dir, hex, repo_url);
	int ret = -1;

	if (!dir || !path)
		error_set(err, ENOMEM, "index cache");
	else if (make_dirs(dir, 0700, err) == 0)
		ret = file_replace_bytes(path, 0600, 0, head, len, err);
	free(path);
	free(dir);
	return ret;
}

/* A kept version 2 head of layer L: 1 used, 0 none or refused (logged). */
static int load_cached_head(struct layer_set *ls, const char *cache_dir,
			    const struct layer *l, struct layer_index *idx)
{
	char *path = cache_head_path(cache_dir, l->digest + 7, ls->repo_url);
	struct error *err = NULL;
	struct stat st;
	char *buf = NULL;
	ssize_t n;
	int fd, ret = 0;

	if (!path)
		return 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		free(path);
		return 0;
	}
	if (fstat(fd, &st) < 0) {
		error_set(&err, errno, "stat");
		goto out;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > INDEX_BLOB_MAX) {
		error_set(&err, 0, "not a regular file of at most %u bytes", INDEX_BLOB_MAX);
		goto out;
	}
	buf = malloc(st.st_size ? (size_t)st.st_size : 1);
	if (!buf) {
		error_set(&err, ENOMEM, "read");
		goto out;
	}
	n = read_full(fd, buf, (size_t)st.st_size);
	if (n != st.st_size) {
		error_set(&err, n < 0 ? errno : 0, "read");
		goto out;
	}
	if (layer_index_decode_head(buf, (size_t)n, idx, &err) < 0)
		goto out;
	if (strcmp(idx->digest, l->digest)) {
		error_set(&err, 0, "it indexes layer %s", idx->digest);
		layer_index_free(idx);
		goto out;
	}
	if (referrers_windows(ls->fetcher, ls->repo_url, idx, &err) < 0) {
		layer_index_free(idx);
		goto out;
	}
	ret = 1;
out:
	if (!ret && err) {
		/* a broken cache entry: the registry's is fetched again */
		image_log("index cache %s: %s", path, err->msg);
		error_free(&err);
		unlink(path);
	}
	close(fd);
	free(buf);
	free(path);
	return ret;
}

static int load_cached(const char *cache_dir, const char *key,
		       struct layer_index *idx)
{
	char *path = cache_index_path(cache_dir, key);
	struct error *err = NULL;
	int ret = 0;

	if (path && access(path, F_OK) == 0) {
		ret = layer_index_load(path, idx, &err) < 0 ? 0 : 1;
		if (!ret) {
			/* a broken cache entry is rebuilt, not fatal */
			image_log("index cache %s: %s", path, err->msg);
			error_free(&err);
			unlink(path);
		}
	}
	free(path);
	return ret;
}

/*
 * The layer's own TOC (zstd:chunked): 1 used, 0 none or refused (logged:
 * the layer is then indexed by streaming it), -1 only on ENOMEM.
 */
static int load_toc(struct layer_set *ls, struct layer *l, struct error **err)
{
	struct layer_toc_ref ref;
	struct fetch_range r = { 0 };
	struct error *e = NULL;
	int ret = 0;

	if (!l->toc_position || !l->digest || !l->size)
		return 0;
	if (layer_toc_ref_parse(l->toc_position, l->toc_checksum, l->size, &ref,
				&e) < 0)
		goto refused;
	r.off = ref.offset;
	r.len = (size_t)ref.length;
	r.buf = malloc(r.len);
	if (!r.buf)
		return error_set(err, ENOMEM, "toc of %s", l->url);
	if (fetcher_get_ranges(ls->fetcher, l->url, &r, 1, &e) == 0 &&
	    layer_toc_index(&ref, r.buf, r.len, l->digest, l->size, &l->idx,
			    &e) == 0)
		ret = 1;
	free(r.buf);
	if (ret) {
		l->toc_off = ref.offset;
		return 1;
	}
refused:
	image_log("layer %s: its TOC is refused: %s; indexing it by streaming",
		  l->url, e ? e->msg : "?");
	error_free(&e);
	return 0;
}

/*
 * An eStargz layer's TOC, found by its footer: 1 used, 0 none or refused
 * (logged: the layer is then streamed), -1 only on ENOMEM.
 */
static int load_estargz(struct layer_set *ls, struct layer *l,
			struct error **err)
{
	uint8_t footer[ESTARGZ_FOOTER_SIZE];
	struct fetch_range r = { .off = l->size - ESTARGZ_FOOTER_SIZE,
				 .len = sizeof(footer), .buf = footer };
	struct error *e = NULL;
	uint64_t toc_off;
	int ret = 0;

	if (!l->estargz_toc_digest || !l->digest || l->size < ESTARGZ_FOOTER_SIZE)
		return 0;
	if (fetcher_get_ranges(ls->fetcher, l->url, &r, 1, &e) < 0 ||
	    layer_estargz_footer(footer, sizeof(footer), l->size, &toc_off, &e) < 0)
		goto refused;
	r.off = toc_off;
	r.len = (size_t)(l->size - ESTARGZ_FOOTER_SIZE - toc_off);
	r.buf = malloc(r.len);
	if (!r.buf)
		return error_set(err, ENOMEM, "estargz TOC of %s", l->url);
	if (fetcher_get_ranges(ls->fetcher, l->url, &r, 1, &e) == 0 &&
	    layer_estargz_index(r.buf, r.len, toc_off, l->estargz_toc_digest,
				l->digest, l->size, &l->idx, &e) == 0)
		ret = 1;
	free(r.buf);
	if (ret) {
		l->toc_off = toc_off;
		return 1;
	}
refused:
	image_log("layer %s: its eStargz TOC is refused: %s; indexing it by streaming",
		  l->url, e ? e->msg : "?");
	error_free(&e);
	return 0;
}

/* ---- building an index by streaming the layer ---- */

struct stream_pipe {
	struct fetcher *fetcher;
	const char *url;
	int rfd, wfd;
	struct error *err;
	struct blob_spool **spool;	/* the bytes kept for the chunk cache; NULL: none */
};

/* Keeping the bytes is only a saving: a failure drops the copy, not the build. */
static void keep(struct stream_pipe *sp, const void *buf, size_t len)
{
	struct error *e = NULL;

	if (!sp->spool || !*sp->spool ||
	    blob_spool_write(*sp->spool, buf, len, &e) == 0)
		return;
	image_log("%s: %s: its streamed bytes are not kept", sp->url, e->msg);
	error_free(&e);
	blob_spool_free(*sp->spool);
	*sp->spool = NULL;
}

static int pipe_sink(void *ctx, const void *buf, size_t len, struct error **err)
{
	struct stream_pipe *sp = ctx;

	keep(sp, buf, len);
	if (write_all(sp->wfd, buf, len) < 0)
		return error_set(err, errno, "pass on %s", sp->url);
	return 0;
}

static void *stream_main(void *arg)
{
	struct stream_pipe *sp = arg;

	if (fetcher_stream(sp->fetcher, sp->url, pipe_sink, sp, &sp->err) < 0 &&
	    !sp->err)
		error_set(&sp->err, EIO, "GET %s", sp->url);
	close(sp->wfd);
	sp->wfd = -1;
	return NULL;
}

/*
 * Stream the layer at URL once and index it. The compressed bytes of a
 * remote layer also go to *SPOOL (when CACHE_DIR and SPOOL are set), to
 * become its cached blob once the caller has checked them against the
 * layer digest.
 */
static int build_index(struct fetcher *f, const char *url,
		       const char *cache_dir, uint32_t chunk_size, uint64_t span,
		       struct layer_index *idx, struct blob_spool **spool,
		       struct error **err)
{
	const char *path = fetch_local_path(url);
	struct stream_pipe sp = { .fetcher = f, .url = url, .wfd = -1,
				  .spool = spool };
	struct error *e = NULL;
	int fds[2], fd, ret;
	pthread_t t;

	image_log("no index for %s: reading the whole layer once to build it",
		    url);
	if (path) {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return error_set(err, errno, "open layer %s", path);
		ret = layer_index_build_spaced(layer_fd_next, &fd, chunk_size, span,
					idx, err);
		close(fd);
		return ret < 0 ? error_wrap(err, "index %s", path) : 0;
	}
	if (cache_dir && spool && blob_spool_new(cache_dir, spool, &e) < 0) {
		image_log("%s: %s: its streamed bytes are not kept", url, e->msg);
		error_free(&e);
	}
	if (pipe2(fds, O_CLOEXEC) < 0)
		return error_set(err, errno, "pipe");
	sp.rfd = fds[0];
	sp.wfd = fds[1];
	if (pthread_create(&t, NULL, stream_main, &sp) != 0) {
		close(fds[0]);
		close(fds[1]);
		return error_set(err, EAGAIN, "stream %s", url);
	}
	ret = layer_index_build_spaced(layer_fd_next, &sp.rfd, chunk_size, span, idx,
				err);
	/* a failed build stops reading: the writer then gets EPIPE */
	close(sp.rfd);
	pthread_join(t, NULL);
	if (sp.err) {
		/*
		 * the download's failure explains a truncated stream best;
		 * EPIPE only says that the build stopped reading
		 */
		if (ret < 0 && sp.err->errnum != EPIPE) {
			error_free(err);
			*err = sp.err;
			sp.err = NULL;
		} else {
			error_free(&sp.err);
		}
	}
	return ret < 0 ? error_wrap(err, "index %s", url) : 0;
}

int layer_url_consume(struct fetcher *f, const char *url, layer_consume_fn fn,
		      void *arg, struct error **err)
{
	const char *path = fetch_local_path(url);
	struct stream_pipe sp = { .fetcher = f, .url = url, .wfd = -1 };
	int fds[2], fd, ret;
	pthread_t t;

	if (path) {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return error_set(err, errno, "open layer %s", path);
		ret = fn(layer_fd_next, &fd, arg, err);
		close(fd);
		return ret < 0 ? error_wrap(err, "%s", path) : 0;
	}
	if (pipe2(fds, O_CLOEXEC) < 0)
		return error_set(err, errno, "pipe");
	sp.rfd = fds[0];
	sp.wfd = fds[1];
	if (pthread_create(&t, NULL, stream_main, &sp) != 0) {
		close(fds[0]);
		close(fds[1]);
		return error_set(err, EAGAIN, "stream %s", url);
	}
	ret = fn(layer_fd_next, &sp.rfd, arg, err);
	/* stopping early makes the writer fail with EPIPE: its error is no news */
	close(sp.rfd);
	pthread_join(t, NULL);
	if (sp.err) {
		if (ret < 0 && sp.err->errnum != EPIPE) {
			error_free(err);
			*err = sp.err;
			sp.err = NULL;
		} else if (ret == 0) {
			*err = sp.err;
			sp.err = NULL;
			ret = -1;
		} else {
			error_free(&sp.err);
		}
	}
	return ret < 0 ? error_wrap(err, "%s", url) : 0;
}

int layer_index_build_url(struct fetcher *f, const char *url,
			  struct layer_index *idx, struct error **err)
{
	return build_index(f, url, NULL, LAYER_CHUNK_SIZE_DEFAULT,
			   LAYER_CHECKPOINT_SPAN, idx, NULL, err);
}

int layer_index_build_url_spaced(struct fetcher *f, const char *url,
				 uint32_t chunk_size, uint64_t span,
				 struct layer_index *idx, struct error **err)
{
	return build_index(f, url, NULL, chunk_size, span, idx, NULL, err);
}

/* ---- indexes pushed to the registry ---- */

static void *list_main(void *arg)
{
	struct layer_set *ls = arg;

	ls->list_ret = referrers_load_list(ls->fetcher, ls->repo_url,
					   &ls->pushed.prefetch_list,
					   &ls->list_buf, &ls->list_len,
					   &ls->list_err);
	return NULL;
}

/*
 * The published prefetch list, fetched from now on while the mount reads
 * the layers' TOCs and indexes: the prefetch then has it the moment the
 * mount is up. Not fetched early (logged), it is fetched when asked for.
 */
static void list_start(struct layer_set *ls)
{
	int rc;

	if (!ls->opts->prefetch_list_early || !ls->pushed.prefetch_list.digest[0])
		return;
	pthread_mutex_lock(&ls->list_lock);
	if (!ls->list_started) {
		rc = pthread_create(&ls->list_thread, NULL, list_main, ls);
		if (rc)
			image_log("prefetch list blob %s: fetch it with the mount: %s (fetched after it)",
				  ls->pushed.prefetch_list.digest, strerror(rc));
		else
			ls->list_started = true;
	}
	pthread_mutex_unlock(&ls->list_lock);
}

/* The early fetch joined (under list_lock): 1 and its result taken, else 0. */
static int list_take(struct layer_set *ls, char **buf, size_t *len,
		     struct error **err, int *ret)
{
	if (!ls->list_started)
		return 0;
	pthread_join(ls->list_thread, NULL);
	ls->list_started = false;
	*ret = ls->list_ret;
	*buf = ls->list_buf;
	*len = ls->list_len;
	if (*ret < 0) {
		*err = ls->list_err;
		ls->list_err = NULL;
	}
	ls->list_buf = NULL;
	ls->list_len = 0;
	return 1;
}

/* Ask the registry for the image's referrers, once. */
static void look_pushed(struct layer_set *ls)
{
	struct error *err = NULL;

	if (ls->pushed_looked)
		return;
	ls->pushed_looked = true;
	if (referrers_find(ls->fetcher, ls->repo_url, ls->manifest_digest,
			   &ls->pushed, &err) < 0) {
		image_log("indexes in the registry: %s", err->msg);
		error_free(&err);
	} else if (ls->opts->cache_dir &&
		   list_ref_save(ls->opts->cache_dir, ls->manifest_digest,
				 ls->repo_url, &ls->pushed.prefetch_list,
				 &err) < 0) {
		/* a later reader of this cache prefetches no list */
		image_log("prefetch list in the registry: %s", err->msg);
		error_free(&err);
	}
	list_start(ls);
}

/*
 * A pushed index blob fetched ahead (fetch_heads): the layers' heads are
 * downloaded, inflated and decoded on threads of their own, not one after
 * another while the mount waits; find_index then takes the result.
 */
struct head_job {
	struct layer_set *ls;
	const struct index_ref *ref;	/* NULL: none fetched ahead */
	struct layer_index idx;
	char *head;
	size_t head_len;
	int ret;			/* referrers_load's */
	struct error *err;
};

struct heads {
	struct head_job *jobs;		/* by k, as WHICH */
	uint32_t *todo, ntodo;
	atomic_uint next;
};

static void *head_worker(void *arg)
{
	struct heads *h = arg;
	unsigned k;

	while ((k = atomic_fetch_add(&h->next, 1)) < h->ntodo) {
		struct head_job *j = &h->jobs[h->todo[k]];

		bool comp = j->ref->companion.digest[0];

		/* a companion's head is not kept as the layer's (load_pushed) */
		j->ret = referrers_load(j->ls->fetcher, j->ls->repo_url, j->ref,
					&j->idx, comp ? NULL : &j->head,
					comp ? NULL : &j->head_len, &j->err);
	}
	return NULL;
}

static void head_jobs_free(struct head_job *jobs, uint32_t n)
{
	for (uint32_t k = 0; jobs && k < n; k++) {
		if (jobs[k].ref && !jobs[k].ret)
			layer_index_free(&jobs[k].idx);
		free(jobs[k].head);
		error_free(&jobs[k].err);
	}
	free(jobs);
}

/*
 * R's index (and head, when HEAD is not NULL) from PRE when it is the one
 * fetched ahead, else from the registry now: referrers_load's results.
 */
static int take_or_load(struct layer_set *ls, const struct index_ref *r,
			struct head_job *pre, struct layer_index *idx,
			char **head, size_t *head_len, struct error **err)
{
	if (!pre || pre->ref != r)
		return referrers_load(ls->fetcher, ls->repo_url, r, idx, head,
				      head_len, err);
	pre->ref = NULL;	/* taken, or refused by the caller */
	if (pre->ret) {
		*err = pre->err;
		pre->err = NULL;
		if (!*err)
			error_set(err, EIO, "index of %s", r->layer);
		return -1;
	}
	*idx = pre->idx;
	memset(&pre->idx, 0, sizeof(pre->idx));
	if (head) {
		*head = pre->head;
		*head_len = pre->head_len;
		pre->head = NULL;
	}
	return 0;
}

/*
 * 1 LAYER's index came from the registry, 0 there is none usable. A
 * version 2 head's bytes go to *HEAD (malloc'd), else it is NULL. PRE:
 * its blob fetched ahead, or NULL.
 */
static int load_pushed(struct layer_set *ls, struct layer *l,
		       struct layer_index *idx, char **head, size_t *head_len,
		       struct head_job *pre)
{
	struct error *err = NULL;

	if (!ls->repo_url)
		return 0;
	look_pushed(ls);
	/* a companion first (read a frame per file), then an index of the layer */
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < ls->pushed.count; i++) {
			const struct index_ref *r = &ls->pushed.refs[i];
			bool comp = r->companion.digest[0];

			if (strcmp(r->layer, l->digest) || comp != !pass)
				continue;
			if (comp) {
				if (asprintf(&l->companion_url, "%s/blobs/%s", ls->repo_url,
					     r->companion.digest) < 0) {
					l->companion_url = NULL;
					continue;
				}
				if (take_or_load(ls, r, pre, idx, NULL, NULL, &err) == 0) {
					char *surl = NULL;

					if (asprintf(&surl, "%s/blobs/%s", ls->repo_url,
						     r->spans.digest) >= 0 &&
					    span_pages_new(surl, r->span_pages, idx->ncheckpoints,
							   &l->spans, &err) == 0) {
						free(surl);
						return 1;
					}
					if (!err)
						error_set(&err, ENOMEM, "span digests");
					free(surl);
					layer_index_free(idx);
				}
				free(l->companion_url);
				l->companion_url = NULL;
				image_log("companion of %s in the registry refused: %s; reading the layer",
					  l->digest, err->msg);
				error_free(&err);
				continue;
			}
			if (take_or_load(ls, r, pre, idx, head, head_len, &err) == 0)
				return 1;
			/* never used: the next one, else the layer itself */
			image_log("index of %s in the registry refused: %s", l->digest,
				  err->msg);
			error_free(&err);
		}
	return 0;
}

int layer_set_prefetch_list(struct layer_set *ls, char **buf, size_t *len,
			    struct error **err)
{
	int ret = 0;

	*buf = NULL;
	*len = 0;
	pthread_mutex_lock(&ls->list_lock);
	if (list_take(ls, buf, len, err, &ret)) {
		pthread_mutex_unlock(&ls->list_lock);
		return ret;
	}
	pthread_mutex_unlock(&ls->list_lock);
	/*
	 * what the mount found looking for indexes; with every index from
	 * the cache the registry was not asked, but whoever filled the
	 * cache may have been (ovlmig opening the image for strategy store)
	 * and kept the list's descriptor there
	 */
	if (!ls->repo_url)
		return 0;
	if (!ls->pushed_looked && ls->opts->cache_dir &&
	    !ls->pushed.prefetch_list.digest[0]) {
		/* a copy of its own: a layer opened later may fill ls->pushed */
		struct blob_ref kept;
		struct error *e = NULL;

		if (list_ref_load(ls->opts->cache_dir, ls->manifest_digest,
				  ls->repo_url, &kept, &e) < 0) {
			image_log("prefetch list in the registry: %s", e->msg);
			error_free(&e);
		}
		if (!kept.digest[0])
			return 0;
		return referrers_load_list(ls->fetcher, ls->repo_url, &kept, buf,
					   len, err);
	}
	if (!ls->pushed.prefetch_list.digest[0])
		return 0;
	return referrers_load_list(ls->fetcher, ls->repo_url,
				   &ls->pushed.prefetch_list, buf, len, err);
}

/* ---- the layers ---- */

/*
 * An index already made for layer I: 1 found, 0 none (to build, or *TOC
 * set: to read from the layer's own TOC, by load_tocs), -1 error.
 */
static int find_index(struct layer_set *ls, uint32_t i,
		      struct layer_index *given, size_t ngiven,
		      const struct source_opts *opts, struct head_job *pre,
		      bool *toc, struct error **err)
{
	struct layer *l = &ls->layers[i];
	char key[4 + 65];
	const char *hex = l->digest ? l->digest + 7 : NULL;
	char *head = NULL;
	size_t g, head_len = 0;
	int r;

	for (g = 0; g < ngiven; g++) {
		bool match = l->digest ? !strcmp(given[g].digest, l->digest) :
					 (ngiven == ls->count && g == i);

		if (match && given[g].version) {
			l->idx = given[g];
			memset(&given[g], 0, sizeof(given[g]));
			l->index_from = "--index";
			return 1;
		}
	}
	if (!l->digest) {
		r = load_sidecar(ls, l->url, &l->idx, err);
		if (r < 0)
			return -1;
		if (r) {
			l->index_from = "sidecar";
			return 1;
		}
		if (url_key(l->url, key) < 0)
			return error_set(err, EIO, "sha256");
		hex = key;
	}
	if (load_cached(opts->cache_dir, hex, &l->idx)) {
		l->index_from = "index cache";
		return 1;
	}
	if (l->digest && ls->repo_url &&
	    load_cached_head(ls, opts->cache_dir, l, &l->idx)) {
		l->index_from = "index cache (head; windows in the registry)";
		return 1;
	}
	if (l->digest && load_pushed(ls, l, &l->idx, &head, &head_len, pre)) {
		struct error *e = NULL;

		l->index_from = l->companion_url ? "registry companion" : "registry";
		/*
		 * only a cost next time: go on. A version 2 head is kept as
		 * it came: its windows stay in the registry. A companion's
		 * index is of another blob than the layer: not kept under
		 * the layer's name (fetched again next time).
		 */
		r = l->companion_url ? 0 :
		    head ? save_head(opts->cache_dir, hex, ls->repo_url, head,
				     head_len, &e) :
			   save_index(&l->idx, opts->cache_dir, hex, &e);
		free(head);
		if (r < 0) {
			image_log("keep index of %s: %s", l->url, e->msg);
			error_free(&e);
		}
		return 1;
	}
	/* a request or two each: the layers' TOCs are fetched together */
	*toc = l->digest && (l->toc_position || l->estargz_toc_digest);
	return 0;
}

/* Run FN(ARG) on up to MAX threads, this one among them. */
static void run_threads(void *(*fn)(void *), void *arg, unsigned n,
			unsigned max)
{
	pthread_t t[INDEX_STREAMS];
	unsigned started = 0;

	if (max > INDEX_STREAMS)
		max = INDEX_STREAMS;
	while (started + 1 < max && started + 1 < n &&
	       pthread_create(&t[started], NULL, fn, arg) == 0)
		started++;
	fn(arg);
	while (started)
		pthread_join(t[--started], NULL);
}

/* The layers whose own TOC is read, INDEX_STREAMS at a time. */
struct tocs {
	struct layer_set *ls;
	uint32_t *todo, ntodo;
	atomic_uint next;
	int *got;			/* by k: 1 used, 0 none or refused, -1 error */
	struct error **errs;		/* by k */
};

static void *toc_worker(void *arg)
{
	struct tocs *t = arg;
	unsigned k;

	while ((k = atomic_fetch_add(&t->next, 1)) < t->ntodo) {
		struct layer *l = &t->ls->layers[t->todo[k]];
		int r = load_toc(t->ls, l, &t->errs[k]);

		if (r > 0) {
			l->index_from = "the layer's TOC";
		} else if (r == 0) {
			r = load_estargz(t->ls, l, &t->errs[k]);
			if (r > 0)
				l->index_from = "the layer's eStargz TOC";
		}
		t->got[k] = r;
	}
	return NULL;
}

/* The layers without an index, streamed INDEX_STREAMS at a time. */
struct builds {
	struct layer_set *ls;
	const char *cache_dir;
	uint32_t *todo, ntodo;
	atomic_uint next;
	struct blob_spool **spools;	/* by layer */
	struct error **errs;		/* by layer */
};

static void *build_worker(void *arg)
{
	struct builds *b = arg;
	unsigned k;

	while ((k = atomic_fetch_add(&b->next, 1)) < b->ntodo) {
		uint32_t i = b->todo[k];
		struct layer *l = &b->ls->layers[i];

		if (build_index(b->ls->fetcher, l->url, b->cache_dir,
				LAYER_CHUNK_SIZE_DEFAULT, LAYER_CHECKPOINT_SPAN, &l->idx,
				&b->spools[i], &b->errs[i]) == 0)
			l->index_from = "built";
	}
	return NULL;
}

static void run_builds(struct builds *b)
{
	run_threads(build_worker, b, b->ntodo, INDEX_STREAMS);
}

/*
 * A built index, now checked against the layer: keep it in the index
 * cache, and its streamed bytes as the layer's cached blob. Both only
 * save a later fetch: failing is logged, not fatal.
 */
static void keep_built(struct layer *l, const char *cache_dir,
		       struct blob_spool *spool)
{
	struct error *e = NULL;
	char key[4 + 65];

	if (save_index(&l->idx, cache_dir, l->idx.digest + 7, &e) < 0 ||
	    (!l->digest && (url_key(l->url, key) < 0 ?
			    error_set(&e, EIO, "sha256") :
			    save_index(&l->idx, cache_dir, key, &e)) < 0)) {
		image_log("keep index of %s: %s", l->url, e->msg);
		error_free(&e);
	}
	if (spool && blob_spool_commit(spool, l->idx.digest, l->idx.compressed_size,
				       l->idx.chunk_size, &e) < 0) {
		image_log("keep the streamed bytes of %s: %s", l->url, e->msg);
		error_free(&e);
	}
}

/* The index must describe this very layer. */
static int check_index(struct layer_set *ls, struct layer *l, struct error **err)
{
	uint64_t size = l->size;

	/* a companion's index was checked against the companion on load */
	if (l->companion_url)
		return 0;
	if (l->digest && strcmp(l->digest, l->idx.digest))
		return error_set(err, EINVAL,
				 "index of %s is for layer %s, not %s",
				 l->url, l->idx.digest, l->digest);
	if (!size && fetcher_size(ls->fetcher, l->url, &size, err) < 0)
		return error_wrap(err, "layer %s", l->url);
	if (size != l->idx.compressed_size)
		return error_set(err, EINVAL,
				 "index of %s is for a layer of %llu bytes, the layer has %llu",
				 l->url,
				 (unsigned long long)l->idx.compressed_size,
				 (unsigned long long)size);
	return 0;
}

/* Every layer's index is kept in memory with its xattrs: bound them all. */
static int check_xattr_total(const struct layer *l, uint64_t *total,
			     struct error **err)
{
	*total += l->idx.xattr_bytes;
	if (*total > IMAGE_XATTR_MAX)
		return error_set_msg(err, E2BIG,
				 "layer %s: the image's xattrs pass %llu MiB in all",
				 l->url, IMAGE_XATTR_MAX >> 20);
	return 0;
}

static int add_layer(struct layer_set *ls, const char *url, size_t urllen,
		     const char *digest, uint64_t size, const char *toc_position,
		     const char *toc_checksum, const char *estargz_toc_digest)
{
	struct layer *l = reallocarray(ls->layers, ls->count + 1, sizeof(*l));

	if (!l)
		return -1;
	ls->layers = l;
	l = &l[ls->count];
	memset(l, 0, sizeof(*l));
	l->url = strndup(url, urllen);
	l->digest = digest ? strdup(digest) : NULL;
	l->size = size;
	l->toc_position = toc_position ? strdup(toc_position) : NULL;
	l->toc_checksum = toc_checksum ? strdup(toc_checksum) : NULL;
	l->estargz_toc_digest = estargz_toc_digest ? strdup(estargz_toc_digest) : NULL;
	ls->count++;
	return l->url && (!digest || l->digest) &&
	       (!estargz_toc_digest || l->estargz_toc_digest) &&
	       (!toc_position || l->toc_position) &&
	       (!toc_checksum || l->toc_checksum) ? 0 : -1;
}

static int resolve(enum layer_set_kind kind, const char *arg,
		   const struct source_opts *opts, struct layer_set *ls,
		   struct error **err)
{
	struct image_layers il = { 0 };
	const char *p = arg;
	size_t i;
	int ret;

	if (kind == LAYER_SET_TAR) {
		while (*p) {
			size_t n = strcspn(p, ",");

			if (!n)
				return error_set(err, EINVAL, "tar:%s: empty layer name", arg);
			if (add_layer(ls, p, n, NULL, 0, NULL, NULL, NULL) < 0)
				return error_set(err, ENOMEM, "tar:%s", arg);
			p += n + (p[n] == ',');
		}
		if (!ls->count)
			return error_set(err, EINVAL, "tar: no layer given");
		return 0;
	}
	ret = kind == LAYER_SET_OCI ?
	      image_resolve_oci(arg, opts->platform, &il, err) :
	      image_resolve_docker(ls->fetcher, arg, opts->platform, &il, err);
	if (ret < 0)
		return -1;
	for (i = 0; i < il.count; i++)
		if (add_layer(ls, il.layers[i].url, strlen(il.layers[i].url),
			      il.layers[i].digest, il.layers[i].size,
			      il.layers[i].toc_position,
			      il.layers[i].toc_checksum,
			      il.layers[i].estargz_toc_digest) < 0) {
			image_layers_free(&il);
			return error_set(err, ENOMEM, "image %s", arg);
		}
	memcpy(ls->manifest_digest, il.manifest_digest, sizeof(il.manifest_digest));
	ls->repo_url = il.repo_url;
	il.repo_url = NULL;
	image_layers_free(&il);
	if (!ls->count)
		return error_set(err, EINVAL, "image %s has no layers", arg);
	return 0;
}

static int load_given(const struct source_opts *opts,
		      struct layer_index **given, struct error **err)
{
	size_t i;

	if (!opts->nindex_files)
		return 0;
	*given = calloc(opts->nindex_files, sizeof(**given));
	if (!*given)
		return error_set(err, ENOMEM, "indexes");
	for (i = 0; i < opts->nindex_files; i++)
		if (layer_index_load(opts->index_files[i], &(*given)[i], err) < 0)
			return error_wrap(err, "--index %s", opts->index_files[i]);
	return 0;
}

/* An index of layer L in the cache (whole, or a pushed head kept). */
static bool index_cached(const struct layer_set *ls, const char *cache_dir,
			 const struct layer *l)
{
	char *p;
	bool there;

	if (!cache_dir)
		return false;
	p = cache_index_path(cache_dir, l->digest + 7);
	there = p && access(p, F_OK) == 0;

	free(p);
	if (!there && (p = cache_head_path(cache_dir, l->digest + 7, ls->repo_url))) {
		there = access(p, F_OK) == 0;
		free(p);
	}
	return there;
}

/*
 * The pushed index blobs of the layers WHICH[0..N) that have none in the
 * cache, fetched together (INDEX_STREAMS at a time): by k, NULL when fewer
 * than two are to be fetched (or --index is given): then find_index
 * fetches each itself.
 */
static struct head_job *fetch_heads(struct layer_set *ls,
				    const struct source_opts *opts,
				    const uint32_t *which, uint32_t n)
{
	struct heads h = { 0 };
	uint32_t k;

	if (!ls->repo_url || n < 2 || opts->nindex_files)
		return NULL;
	for (k = 0; k < n; k++) {
		const struct layer *l = &ls->layers[which[k]];

		if (l->digest && !index_cached(ls, opts->cache_dir, l))
			h.ntodo++;
	}
	if (h.ntodo < 2)
		return NULL;
	look_pushed(ls);
	h.jobs = calloc(n, sizeof(*h.jobs));
	h.todo = calloc(n, sizeof(*h.todo));
	if (!h.jobs || !h.todo) {
		free(h.jobs);
		free(h.todo);
		return NULL;
	}
	h.ntodo = 0;
	for (k = 0; k < n; k++) {
		const struct layer *l = &ls->layers[which[k]];

		h.jobs[k].ls = ls;
		if (!l->digest || index_cached(ls, opts->cache_dir, l))
			continue;
		/* the one load_pushed would try first: a companion, else an index */
		for (int pass = 0; pass < 2 && !h.jobs[k].ref; pass++)
			for (size_t i = 0; i < ls->pushed.count; i++) {
				const struct index_ref *r = &ls->pushed.refs[i];

				if (!strcmp(r->layer, l->digest) &&
				    (bool)r->companion.digest[0] == !pass) {
					h.jobs[k].ref = r;
					h.todo[h.ntodo++] = k;
					break;
				}
			}
	}
	if (h.ntodo)
		run_threads(head_worker, &h, h.ntodo, INDEX_STREAMS);
	free(h.todo);
	return h.jobs;
}

/* A layer that failed to open is as it was before: it may be tried again. */
static void unopen_layer(struct layer *l)
{
	blob_close(l->blob);
	l->blob = NULL;
	layer_index_free(&l->idx);
	memset(&l->idx, 0, sizeof(l->idx));
	l->index_from = NULL;
	free(l->companion_url);
	l->companion_url = NULL;
	span_pages_free(l->spans);
	l->spans = NULL;
}

/*
 * Index the layers WHICH[0..N) (an index made before, else each streamed
 * once, INDEX_STREAMS at a time), check each against its layer and open
 * its blob; then they are ready for reads.
 */
static int open_layers(struct layer_set *ls, const struct source_opts *opts,
		       const uint32_t *which, uint32_t n, struct error **err)
{
	struct layer_index *given = NULL;
	struct head_job *pre = NULL;
	struct builds b = { 0 };
	struct tocs t = { 0 };
	uint32_t i, k;
	int ret = -1;

	if (load_given(opts, &given, err) < 0)
		goto out;
	b.ls = ls;
	b.cache_dir = opts->cache_dir;
	b.todo = calloc(ls->count, sizeof(*b.todo));
	b.spools = calloc(ls->count, sizeof(*b.spools));
	b.errs = calloc(ls->count, sizeof(*b.errs));
	t.ls = ls;
	t.todo = calloc(n ? n : 1, sizeof(*t.todo));
	t.got = calloc(n ? n : 1, sizeof(*t.got));
	t.errs = calloc(n ? n : 1, sizeof(*t.errs));
	if (!b.todo || !b.spools || !b.errs || !t.todo || !t.got || !t.errs) {
		error_set(err, ENOMEM, "layers");
		goto out;
	}
	pre = fetch_heads(ls, opts, which, n);
	for (k = 0; k < n; k++) {
		bool toc = false;
		int r = find_index(ls, which[k], given, opts->nindex_files, opts,
				   pre ? &pre[k] : NULL, &toc, err);

		if (r < 0)
			goto out;
		if (toc)
			t.todo[t.ntodo++] = which[k];
		else if (!r)
			b.todo[b.ntodo++] = which[k];
	}
	/*
	 * each layer's TOC is a request or two and a parse: all layers at
	 * once, not one round trip after another (the mount waits for them)
	 */
	if (t.ntodo)
		run_threads(toc_worker, &t, t.ntodo, INDEX_STREAMS);
	for (k = 0; k < t.ntodo; k++) {
		if (t.got[k] < 0) {
			*err = t.errs[k];
			t.errs[k] = NULL;
			goto out;
		}
		if (!t.got[k])	/* refused (logged): streamed */
			b.todo[b.ntodo++] = t.todo[k];
	}
	if (b.ntodo) {
		image_log("no index for %u of %u layers: reading each once to build it (%u at a time)",
			  b.ntodo, ls->count, b.ntodo < INDEX_STREAMS ? b.ntodo : INDEX_STREAMS);
		run_builds(&b);
	}
	for (k = 0; k < n; k++) {
		struct layer *l = &ls->layers[i = which[k]];

		if (b.errs[i]) {
			*err = b.errs[i];
			b.errs[i] = NULL;
			goto out;
		}
		if (check_index(ls, l, err) < 0)
			goto out;
		/* checked: a built index and its bytes are this layer's */
		if (l->index_from && !strcmp(l->index_from, "built"))
			keep_built(l, opts->cache_dir, b.spools[i]);
		if (check_xattr_total(l, &ls->xattr_bytes, err) < 0 ||
		    blob_open(ls->fetcher, l->companion_url ? l->companion_url : l->url,
		      l->idx.digest,
			      l->idx.compressed_size, l->idx.chunk_size,
			      /* NULL from a TOC: its spans are checked on read */
			      (const uint8_t (*)[32])l->idx.chunk_sha256,
			      l->idx.nchunks, opts->cache_dir, &l->blob, err) < 0)
			goto out;
		image_log("layer %u: %s %s, %s, %u entries, index: %s%s", i,
			    l->url, l->idx.digest,
			    layer_compression_name(l->idx.compression),
			    l->idx.nentries, l->index_from,
			    l->idx.seekable ? "" : " (not seekable: reads decompress from the start)");
	}
	for (k = 0; k < n; k++)
		atomic_store_explicit(&ls->layers[which[k]].ready, true,
				      memory_order_release);
	ret = 0;
out:
	for (k = 0; ret < 0 && k < n; k++)
		unopen_layer(&ls->layers[which[k]]);
	for (i = 0; given && i < opts->nindex_files; i++)
		layer_index_free(&given[i]);
	free(given);
	head_jobs_free(pre, n);
	for (i = 0; b.spools && i < ls->count; i++)
		blob_spool_free(b.spools[i]);
	for (i = 0; b.errs && i < ls->count; i++)
		error_free(&b.errs[i]);
	free(b.spools);
	free(b.errs);
	free(b.todo);
	for (k = 0; t.errs && k < t.ntodo; k++)
		error_free(&t.errs[k]);
	free(t.errs);
	free(t.got);
	free(t.todo);
	return ret;
}

/* The fetcher and the layers' names (manifest), no index yet. */
static int open_names(enum layer_set_kind kind, const char *arg,
		      const struct source_opts *opts, struct layer_set *ls,
		      struct error **err)
{
	struct fetch_opts fo = {
		.insecure = opts->insecure, .grace_ms = opts->fetch_grace_ms,
		.on_outage = opts->on_outage, .on_outage_arg = opts->on_outage_arg,
	};

	memset(ls, 0, sizeof(*ls));
	pthread_mutex_init(&ls->lock, NULL);
	pthread_mutex_init(&ls->list_lock, NULL);
	ls->opts = opts;
	if (fetcher_new(&fo, &ls->fetcher, err) < 0 ||
	    resolve(kind, arg, opts, ls, err) < 0) {
		layer_set_close(ls);
		return -1;
	}
	return 0;
}

int layer_set_open(enum layer_set_kind kind, const char *arg,
		   const struct source_opts *opts, struct layer_set *ls,
		   struct error **err)
{
	if (open_names(kind, arg, opts, ls, err) < 0)
		return -1;
	if (layer_set_open_all(ls, err) < 0) {
		layer_set_close(ls);
		return -1;
	}
	return 0;
}

int layer_set_open_lazy(enum layer_set_kind kind, const char *arg,
			const struct source_opts *opts, struct layer_set *ls,
			struct error **err)
{
	return open_names(kind, arg, opts, ls, err);
}

int layer_set_open_all(struct layer_set *ls, struct error **err)
{
	uint32_t *which = calloc(ls->count ? ls->count : 1, sizeof(*which));
	uint32_t i, n = 0;
	int ret;

	if (!which)
		return error_set(err, ENOMEM, "layers");
	pthread_mutex_lock(&ls->lock);
	for (i = 0; i < ls->count; i++)
		if (!atomic_load_explicit(&ls->layers[i].ready, memory_order_acquire))
			which[n++] = i;
	ret = n ? open_layers(ls, ls->opts, which, n, err) : 0;
	pthread_mutex_unlock(&ls->lock);
	free(which);
	return ret;
}

int layer_set_ready(struct layer_set *ls, uint32_t l, struct error **err)
{
	int ret = 0;

	if (l >= ls->count)
		return error_set(err, EINVAL, "no layer %u", l);
	if (atomic_load_explicit(&ls->layers[l].ready, memory_order_acquire))
		return 0;
	pthread_mutex_lock(&ls->lock);
	if (!atomic_load_explicit(&ls->layers[l].ready, memory_order_acquire))
		ret = open_layers(ls, ls->opts, &l, 1, err);
	pthread_mutex_unlock(&ls->lock);
	return ret;
}

void layer_set_close(struct layer_set *ls)
{
	struct error *err = NULL;
	char *list = NULL;
	size_t list_len;
	uint32_t i;
	int ret;

	/* an early list fetch still running ends before its fetcher */
	pthread_mutex_lock(&ls->list_lock);
	if (list_take(ls, &list, &list_len, &err, &ret))
		error_free(&err);
	pthread_mutex_unlock(&ls->list_lock);
	free(list);
	pthread_mutex_destroy(&ls->list_lock);
	for (i = 0; i < ls->count; i++) {
		blob_close(ls->layers[i].blob);
		layer_index_free(&ls->layers[i].idx);
		free(ls->layers[i].url);
		free(ls->layers[i].digest);
		free(ls->layers[i].toc_position);
		free(ls->layers[i].toc_checksum);
		free(ls->layers[i].estargz_toc_digest);
		free(ls->layers[i].companion_url);
		span_pages_free(ls->layers[i].spans);
	}
	free(ls->layers);
	free(ls->repo_url);
	index_refs_free(&ls->pushed);
	fetcher_free(ls->fetcher);
	pthread_mutex_destroy(&ls->lock);
	memset(ls, 0, sizeof(*ls));
}

static int blob_read_at(void *ctx, uint64_t off, void *buf, size_t len,
			struct error **err)
{
	return blob_read(ctx, off, buf, len, err);
}

/*
 * A layer's own TOC: a read decompresses each span (a file's chunk) it
 * touches whole, to check its digest. All the spans of a read are fetched
 * first, in one go: a file's chunks lie back to back in the blob, so the
 * blob asks for them in one range request (up to its RANGE_BYTES, more
 * ranges in parallel beyond), not one round trip per chunk. Then they are
 * decompressed from memory in groups of at most SPANS_MEM_MAX compressed
 * bytes, read from the blob with one blob_read each (so that without a
 * cache, too, a group is one request rather than one per blob chunk). A
 * span that fails its digest fails the read; its neighbours' bytes were
 * fetched for nothing, at most the rest of the file.
 */
#define SPANS_MEM_MAX (8u << 20)

/* The compressed end of span AT: where the next starts, or the TOC. */
static uint64_t span_in_end(const struct layer *l, uint32_t at)
{
	const struct layer_index *idx = &l->idx;
	uint64_t end = at + 1 < idx->ncheckpoints ? idx->checkpoints[at + 1].in_off :
		       l->toc_off ? l->toc_off : idx->compressed_size;

	return end < idx->compressed_size ? end : idx->compressed_size;
}

static uint64_t span_out_end(const struct layer_index *idx, uint32_t at)
{
	return at + 1 < idx->ncheckpoints ? idx->checkpoints[at + 1].out_off :
					    idx->uncompressed_size;
}

/* Compressed bytes [start, end) held in memory; the blob for the rest. */
struct spans_mem {
	struct blob *blob;
	uint64_t start, end;
	uint8_t *buf;
};

static int spans_mem_read_at(void *ctx, uint64_t off, void *buf, size_t len,
			     struct error **err)
{
	struct spans_mem *m = ctx;

	if (m->buf && off >= m->start && off <= m->end && len <= m->end - off) {
		memcpy(buf, m->buf + (off - m->start), len);
		return 0;
	}
	return blob_read(m->blob, off, buf, len, err);
}

/* Make the blob chunks under spans [FIRST, LAST] present, all at once. */
static int fetch_spans(struct layer *l, uint32_t first, uint32_t last,
		       struct error **err)
{
	uint64_t cs = l->idx.chunk_size, start = l->idx.checkpoints[first].in_off;
	uint64_t end = span_in_end(l, last);

	if (start >= end)
		return 0;
	return blob_fetch_chunks(l->blob, start / cs, (end + cs - 1) / cs - start / cs,
				 err);
}

/*
 * [OFF, OFF+N) of spans [AT, UPTO], their compressed bytes held in M: a
 * gzip span (eStargz) inflated whole when it can be (about 2.4x faster
 * than streaming it: eStargz's CPU on the first command), else streamed.
 */
static int read_group(struct layer *l, struct spans_mem *m, uint32_t at,
		      uint32_t upto, uint64_t off, uint64_t n,
		      layer_sink_fn sink, void *ctx, struct error **err)
{
	const struct layer_index *idx = &l->idx;

	if (!m->buf || idx->compression != LAYER_GZIP)
		return layer_read(idx, spans_mem_read_at, m, off, n, sink, ctx, err);
	for (; at <= upto && n; at++) {
		uint64_t end = span_out_end(idx, at), k = end - off < n ? end - off : n;
		uint64_t cin = idx->checkpoints[at].in_off, cend = span_in_end(l, at);
		int r = 0;

		if (cin >= m->start && cend > cin && cend <= m->end)
			r = layer_read_span_whole(idx, at, m->buf + (cin - m->start),
						  (size_t)(cend - cin), off, k, sink, ctx, err);
		if (r < 0 ||
		    (!r && layer_read(idx, spans_mem_read_at, m, off, k, sink, ctx, err) < 0))
			return -1;
		off += k;
		n -= k;
	}
	return 0;
}

static int read_spans(struct layer *l, uint64_t off, uint64_t len,
		      layer_sink_fn sink, void *ctx, struct error **err)
{
	const struct layer_index *idx = &l->idx;
	uint32_t last = layer_checkpoint_at(idx, off + len - 1);

	if (fetch_spans(l, layer_checkpoint_at(idx, off), last, err) < 0)
		return -1;
	while (len) {
		uint32_t at = layer_checkpoint_at(idx, off), upto = at;
		struct spans_mem m = { .blob = l->blob };
		uint64_t n;
		int ret = 0;

		m.start = idx->checkpoints[at].in_off;
		while (upto < last && span_in_end(l, upto + 1) - m.start <= SPANS_MEM_MAX)
			upto++;
		m.end = span_in_end(l, upto);
		n = span_out_end(idx, upto) - off < len ? span_out_end(idx, upto) - off : len;
		/* a span larger than that is read from the blob as it goes */
		if (m.end > m.start && m.end - m.start <= SPANS_MEM_MAX) {
			m.buf = malloc((size_t)(m.end - m.start));
			if (!m.buf)
				return error_set(err, ENOMEM, "layer %s: %" PRIu64 " bytes at %" PRIu64,
						 idx->digest, m.end - m.start, m.start);
			ret = blob_read(l->blob, m.start, m.buf, (size_t)(m.end - m.start), err);
		}
		if (!ret)
			ret = read_group(l, &m, at, upto, off, n, sink, ctx, err);
		free(m.buf);
		if (ret < 0)
			return -1;
		off += n;
		len -= n;
	}
	return 0;
}

int layer_set_fetch_spans(struct layer_set *ls, uint32_t l, uint64_t off,
			  uint64_t len, struct error **err)
{
	const struct layer_index *idx;

	if (l >= ls->count)
		return error_set(err, EINVAL, "no layer %u", l);
	idx = &ls->layers[l].idx;
	if (!idx->span_sha256 || !idx->ncheckpoints || !len ||
	    off > idx->uncompressed_size || len > idx->uncompressed_size - off)
		return 0;
	return fetch_spans(&ls->layers[l], layer_checkpoint_at(idx, off),
			   layer_checkpoint_at(idx, off + len - 1), err);
}

int layer_set_extent(struct layer_set *ls, uint32_t l, uint64_t off,
		     uint64_t len, uint64_t *start, uint64_t *end,
		     struct error **err)
{
	const struct layer_index *idx;

	if (layer_set_ready(ls, l, err) < 0)
		return -1;
	idx = &ls->layers[l].idx;
	if (!idx->span_sha256 || !idx->ncheckpoints || !len ||
	    off > idx->uncompressed_size || len > idx->uncompressed_size - off ||
	    !ls->layers[l].blob)
		return 0;
	/* what read_spans fetches: fetch_spans' bytes */
	*start = idx->checkpoints[layer_checkpoint_at(idx, off)].in_off;
	*end = span_in_end(&ls->layers[l], layer_checkpoint_at(idx, off + len - 1));
	return *start < *end ? 1 : 0;
}

int layer_set_fetch_extent(struct layer_set *ls, uint32_t l, uint64_t start,
			   uint64_t end, struct error **err)
{
	const struct layer_index *idx;
	uint64_t cs;

	if (layer_set_ready(ls, l, err) < 0)
		return -1;
	idx = &ls->layers[l].idx;
	cs = idx->chunk_size;
	if (!ls->layers[l].blob || start >= end || end > idx->compressed_size || !cs)
		return 0;
	return blob_fetch_chunks(ls->layers[l].blob, start / cs,
				 (end + cs - 1) / cs - start / cs, err);
}

/*
 * A gzip or zstd read of [OFF, OFF+LEN) decompresses from the checkpoint
 * at or before OFF and reads the compressed bytes one chunk at a time,
 * as the decoder needs them: where the data of OFF+LEN ends in the
 * compressed layer is not known. What is known: a read that crosses the
 * checkpoint before its end consumes every compressed byte before that
 * checkpoint. Those chunks are made present first, in one go (the blob
 * coalesces them into range requests of up to RANGE_BYTES), not one round
 * trip per chunk; only the chunks after the last checkpoint crossed are
 * then fetched one by one. No byte is fetched that the read would not
 * have fetched (issue 12: a 16 MiB file in 256 KiB chunks was 64 GETs).
 *
 * Within the last span crossed, where the read ends is estimated at the
 * span's own ratio (compressed over uncompressed, from the checkpoints
 * around it) and the chunks up to that estimate join the same request:
 * a small file is then one request, not one per chunk from its
 * checkpoint. The estimate can overshoot where a span's data deflates
 * unevenly: at most to the span's end, which a read fetched whole before
 * issue 18; a short estimate costs only the chunk-by-chunk requests.
 * A plain layer's read is its own bytes: their chunks are fetched
 * together too (a 1 MiB file in 32 KiB chunks is one request, not 32).
 */
static int fetch_certain(struct layer *l, uint64_t off, uint64_t len,
			 struct error **err)
{
	const struct layer_index *idx = &l->idx;
	uint32_t first = layer_checkpoint_at(idx, off);
	uint32_t last = layer_checkpoint_at(idx, off + len - 1);
	const struct layer_checkpoint *a = &idx->checkpoints[first];
	const struct layer_checkpoint *z = &idx->checkpoints[last];
	uint64_t cs = idx->chunk_size, start, end, in_end, out_end;

	if (!l->blob)
		return 0;
	/* a plain layer's bytes are the data: exactly those */
	if (idx->compression == LAYER_PLAIN)
		return blob_fetch_chunks(l->blob, off / cs, (off + len - 1) / cs - off / cs + 1, err);
	/* the pending bits of a gzip checkpoint are in the byte before it */
	start = a->in_off - (a->in_bits && a->in_off ? 1 : 0);
	end = z->in_off;	/* bytes [start, end) are read for sure */
	in_end = last + 1 < idx->ncheckpoints ? idx->checkpoints[last + 1].in_off :
						idx->compressed_size;
	out_end = last + 1 < idx->ncheckpoints ? idx->checkpoints[last + 1].out_off :
						 idx->uncompressed_size;
	/* the estimate: checkpoints are ordered, offsets checked at decode */
	if (in_end > z->in_off && in_end <= idx->compressed_size && out_end > z->out_off &&
	    off + len > z->out_off) {
		/* an estimate: a double's precision is plenty, and no overflow */
		double est = (double)(off + len - z->out_off) * (double)(in_end - z->in_off) /
			     (double)(out_end - z->out_off);

		end = est < (double)(in_end - z->in_off) ? z->in_off + (uint64_t)est + 1 : in_end;
		if (end > in_end)
			end = in_end;
	}
	if (end <= start || end > idx->compressed_size)
		return 0;
	return blob_fetch_chunks(l->blob, start / cs, (end - 1) / cs - start / cs + 1, err);
}

/* The window a read starts at, fetched beside the read's bytes. */
struct window_job {
	const struct layer_index *idx;
	uint32_t cp;
	struct error *err;
};

static void *window_main(void *arg)
{
	struct window_job *w = arg;

	layer_index_fetch_window(w->idx, w->cp, &w->err);
	return NULL;
}

/*
 * fetch_certain, and at the same time the window of the checkpoint the
 * read starts at when it is still in the registry (a version 2 head's):
 * two requests in flight together, not the window's round trip after the
 * data's (issue 18: each small file of a first command paid both). A
 * window that failed here is fetched again by the read, which reports
 * what fails (a damaged one: twice more, then EIO).
 */
static int fetch_read(struct layer *l, uint64_t off, uint64_t len,
		      struct error **err)
{
	struct window_job w = { .idx = &l->idx };
	pthread_t t;
	bool started = false;
	int ret;

	w.cp = layer_checkpoint_at(&l->idx, off);
	if (l->blob && layer_index_window_missing(&l->idx, w.cp))
		started = pthread_create(&t, NULL, window_main, &w) == 0;
	ret = fetch_certain(l, off, len, err);
	if (started)
		pthread_join(t, NULL);
	error_free(&w.err);
	return ret;
}

int layer_set_read(struct layer_set *ls, uint32_t l, uint64_t off,
		   uint64_t len, layer_sink_fn sink, void *ctx,
		   struct error **err)
{
	const struct layer_index *idx;

	if (layer_set_ready(ls, l, err) < 0)
		return -1;
	idx = &ls->layers[l].idx;
	if (off > idx->uncompressed_size || len > idx->uncompressed_size - off || !len)
		/* layer_read refuses it, or reads nothing */
		return layer_read(idx, blob_read_at, ls->layers[l].blob,
				  off, len, sink, ctx, err);
	/* a companion's span digests: the pages this read needs, first */
	if (ls->layers[l].spans &&
	    span_pages_ensure(ls->layers[l].spans, ls->fetcher, idx->span_sha256,
			      layer_checkpoint_at(idx, off),
			      layer_checkpoint_at(idx, off + len - 1), err) < 0)
		return error_wrap(err, "layer %s", ls->layers[l].url);
	/* a span's end is only known within it */
	if (idx->span_sha256)
		return read_spans(&ls->layers[l], off, len, sink, ctx, err);
	if (idx->ncheckpoints && fetch_read(&ls->layers[l], off, len, err) < 0)
		return error_wrap(err, "layer %s: %" PRIu64 " bytes at %" PRIu64,
				  idx->digest, len, off);
	return layer_read(idx, blob_read_at, ls->layers[l].blob,
			  off, len, sink, ctx, err);
}

int layer_set_warm(struct layer_set *ls, uint32_t l, uint64_t off,
		   uint64_t len, struct error **err)
{
	const struct layer_index *idx;
	uint64_t start = 0, end, first, last;
	uint32_t i;

	if (layer_set_ready(ls, l, err) < 0)
		return -1;
	idx = &ls->layers[l].idx;
	end = idx->compressed_size;
	if (idx->compression == LAYER_PLAIN) {
		start = off;
		end = off + len < end ? off + len : end;
	} else {
		/* from the checkpoint before OFF to the one after the end */
		for (i = 0; i < idx->ncheckpoints; i++) {
			const struct layer_checkpoint *c = &idx->checkpoints[i];

			if (c->out_off <= off && idx->seekable)
				start = c->in_off ? c->in_off - (c->in_bits ? 1 : 0) : 0;
			if (c->out_off >= off + len) {
				end = c->in_off + 1 < end ? c->in_off + 1 : end;
				break;
			}
		}
	}
	if (start >= end)
		return 0;
	first = start / idx->chunk_size;
	last = (end + idx->chunk_size - 1) / idx->chunk_size;
	return blob_fetch_chunks(ls->layers[l].blob, first, last - first, err);
}
