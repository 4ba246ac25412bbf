// SPDX-License-Identifier: MIT
/*
 * Layer indexes in the registry, over the wire: push (blobs with the
 * upload API, POST then a monolithic PUT; the artifact manifest; the
 * referrers tag when the registry has no referrers API) and discovery
 * (the referrers API, else the tag), every document fetched by digest
 * checked against it.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/util.h"
#include "index_gzip.h"
#include "log.h"
#include "referrers.h"

#define MT_OCTETS "application/octet-stream"

static char *repo_path(const char *repo, const char *kind, const char *ref)
{
	char *url;

	if (asprintf(&url, "%s/%s/%s", repo, kind, ref) < 0)
		return NULL;
	return url;
}

/* "sha256-<hex>": the tag schema's name for the referrers of DIGEST. */
static char *referrers_tag_url(const char *repo, const char *digest)
{
	char *url;

	if (asprintf(&url, "%s/manifests/sha256-%s", repo, digest + 7) < 0)
		return NULL;
	return url;
}

/* GET URL whole; 1 got it, 0 the registry does not have it (404), -1 failed. */
static int get_maybe(struct fetcher *f, const char *url, size_t max,
		     char **body, size_t *len, struct error **err)
{
	if (fetcher_get_maybe(f, url, max, body, len, err) == 0)
		return 1;
	if ((*err)->errnum != ENOENT)
		return -1;
	error_free(err);
	return 0;
}

/* An upload's Location may be a path: make it a URL on REPO's host. */
static char *absolute(const char *repo, const char *loc)
{
	const char *host_end;
	char *url;

	if (!strncmp(loc, "https://", 8) || !strncmp(loc, "http://", 7))
		return strdup(loc);
	if (loc[0] != '/')
		return NULL;
	host_end = strchr(strstr(repo, "://") + 3, '/');
	if (asprintf(&url, "%.*s%s", (int)(host_end - repo), repo, loc) < 0)
		return NULL;
	return url;
}

/* Blob DIGEST of LEN bytes into REPO, unless it is there already. */
static int blob_put(struct fetcher *f, const char *repo, const char *digest,
		    const void *buf, size_t len, struct error **err)
{
	char *url = repo_path(repo, "blobs", digest), *loc = NULL, *put = NULL;
	uint64_t size;
	int ret = -1;

	if (!url)
		return error_set(err, ENOMEM, "blob %s", digest);
	if (fetcher_size(f, url, &size, err) == 0 && size == len) {
		ret = 0;
		goto out;
	}
	error_free(err);
	free(url);
	url = repo_path(repo, "blobs", "uploads/");
	if (!url) {
		error_set(err, ENOMEM, "blob %s", digest);
		goto out;
	}
	if (fetcher_send(f, "POST", url, MT_OCTETS, NULL, 0, NULL, &loc, err) < 0)
		goto out;
	if (!loc) {
		error_set_msg(err, EPROTO, "the registry answered the upload without a Location");
		goto out;
	}
	free(url);
	url = absolute(repo, loc);
	if (!url || asprintf(&put, "%s%cdigest=%s", url, strchr(url, '?') ? '&' : '?',
			     digest) < 0) {
		put = NULL;
		error_set(err, url ? ENOMEM : EPROTO, "upload location '%.100s'", loc);
		goto out;
	}
	ret = fetcher_send(f, "PUT", put, MT_OCTETS, buf, len, NULL, NULL, err);
out:
	if (ret < 0)
		error_wrap(err, "push blob %s", digest);
	free(url);
	free(loc);
	free(put);
	return ret;
}

static int manifest_put(struct fetcher *f, const char *repo, const char *ref,
			const char *type, const char *body, size_t len,
			struct error **err)
{
	char *url = repo_path(repo, "manifests", ref);
	int ret;

	if (!url)
		return error_set(err, ENOMEM, "manifest %s", ref);
	ret = fetcher_send(f, "PUT", url, type, body, len, NULL, NULL, err);
	free(url);
	return ret < 0 ? error_wrap(err, "push manifest %s", ref) : 0;
}

/*
 * IDX as two blobs (format version 2): the head, one gzip member, fetched
 * whole at mount, and the windows, read by range as reads need them. REF
 * gets both.
 */
static int index_put(struct fetcher *f, const char *repo,
		     const struct layer_index *idx, struct index_ref *ref,
		     struct error **err)
{
	uint8_t *plain = NULL, *head = NULL, *win = NULL;
	size_t plen, hlen, wlen;
	int ret = -1;

	memcpy(ref->layer, idx->digest, sizeof(ref->layer));
	if (layer_index_encode_split(idx, &plain, &plen, &win, &wlen, err) < 0)
		return -1;
	if (index_gzip(plain, plen, &head, &hlen, err) < 0) {
		error_wrap(err, "index of layer %s", idx->digest);
		goto out;
	}
	ref->gzip = true;
	if (digest_of(head, hlen, ref->digest) < 0 ||
	    digest_of(win ? (void *)win : (void *)"", wlen, ref->windows.digest) < 0) {
		error_set(err, ENOMEM, "digest");
		goto out;
	}
	ref->size = hlen;
	ref->windows.size = wlen;
	if (blob_put(f, repo, ref->digest, head, hlen, err) < 0 ||
	    blob_put(f, repo, ref->windows.digest, win ? (void *)win : (void *)"",
		     wlen, err) < 0)
		goto out;
	ret = 0;
out:
	free(plain);
	free(head);
	free(win);
	return ret;
}

/* C's span digests as a blob, REF's spans and the sha256 of each page of them. */
static int spans_put(struct fetcher *f, const char *repo,
		     const struct companion_file *c, struct index_ref *ref,
		     struct error **err)
{
	size_t n = c->idx.ncheckpoints, len = n * 32;
	size_t npages = (n + COMPANION_SPAN_PAGE - 1) / COMPANION_SPAN_PAGE;
	uint8_t md[32];

	if (!n || npages * 64 > COMPANION_PAGES_MAX)
		return error_set_msg(err, EINVAL, "companion: %zu spans", n);
	ref->span_pages = malloc(npages * 64 + 1);
	if (!ref->span_pages)
		return error_set(err, ENOMEM, "span pages");
	for (size_t p = 0; p < npages; p++) {
		size_t at = p * COMPANION_SPAN_PAGE * 32;
		size_t plen = len - at < COMPANION_SPAN_PAGE * 32 ? len - at : COMPANION_SPAN_PAGE * 32;

		if (sha256_buf((const uint8_t *)c->spans + at, plen, md) < 0)
			return error_set(err, EIO, "sha256");
		sha256_hex(md, ref->span_pages + p * 64);
	}
	ref->span_pages[npages * 64] = '\0';
	ref->spans.size = len;
	if (digest_of(c->spans, len, ref->spans.digest) < 0)
		return error_set(err, ENOMEM, "digest");
	return blob_put(f, repo, ref->spans.digest, c->spans, len, err) < 0 ?
	       error_wrap(err, "companion span digests") : 0;
}

/*
 * Layer LAYER's companion C: its index as index_put pushes an index (the
 * head then names the companion: its digest and size), then the
 * companion file itself. REF gets all three.
 */
static int companion_put(struct fetcher *f, const char *repo, const char *layer,
			 const struct companion_file *c, struct index_ref *ref,
			 struct error **err)
{
	uint64_t size = c->idx.compressed_size;
	void *map;
	int ret;

	if (index_put(f, repo, &c->idx, ref, err) < 0)
		return error_wrap(err, "companion index");
	memcpy(ref->companion.digest, c->idx.digest, sizeof(ref->companion.digest));
	ref->companion.size = size;
	memcpy(ref->layer, layer, sizeof(ref->layer));
	memcpy(ref->uncompressed, c->uncompressed, sizeof(ref->uncompressed));
	if (!size || size > SIZE_MAX)
		return error_set_msg(err, EINVAL, "companion of %llu bytes",
				     (unsigned long long)size);
	map = mmap(NULL, (size_t)size, PROT_READ, MAP_PRIVATE, c->fd, 0);
	if (map == MAP_FAILED)
		return error_set(err, errno, "companion: mmap");
	ret = blob_put(f, repo, c->idx.digest, map, (size_t)size, err);
	munmap(map, (size_t)size);
	if (ret < 0)
		return error_wrap(err, "companion");
	return c->spans ? spans_put(f, repo, c, ref, err) : 0;
}

/* The registry lists SUBJECT's referrers itself (OCI 1.1 referrers API). */
static int has_referrers_api(struct fetcher *f, const char *repo,
			     const char *subject, struct error **err)
{
	char *url = repo_path(repo, "referrers", subject), *body = NULL;
	size_t len;
	int r;

	if (!url)
		return error_set(err, ENOMEM, "referrers");
	r = get_maybe(f, url, MANIFEST_MAX, &body, &len, err);
	free(url);
	free(body);
	if (r < 0 && (*err)->errnum != EIO) {
		/* 405, 400 and the like: no such API here */
		error_free(err);
		r = 0;
	}
	return r;
}

/* Read-modify-write of the tag "sha256-<hex>" of the subject. */
static int tag_add(struct fetcher *f, const char *repo, const char *subject,
		   const struct descriptor *entry, struct error **err)
{
	char *url = referrers_tag_url(repo, subject), *old = NULL, *doc = NULL;
	char tag[DIGEST_STRLEN + 1];
	size_t oldlen = 0, len;
	int r, ret = -1;

	if (!url)
		return error_set(err, ENOMEM, "referrers tag");
	r = get_maybe(f, url, MANIFEST_MAX, &old, &oldlen, err);
	if (r < 0)
		goto out;
	if (referrers_index_add(r ? old : NULL, oldlen, entry, &doc, &len, err) < 0)
		goto out;
	snprintf(tag, sizeof(tag), "sha256-%.64s", subject + 7);
	ret = manifest_put(f, repo, tag, MT_OCI_INDEX, doc, len, err);
out:
	if (ret < 0)
		error_wrap(err, "referrers tag sha256-%.12s", subject + 7);
	free(url);
	free(old);
	free(doc);
	return ret;
}

int referrers_push(struct fetcher *f, const struct image_layers *img,
		   const struct layer_index *idx,
		   const struct companion_file *comp, const char *list,
		   size_t list_len, struct error **err)
{
	struct descriptor subject = {
		.media_type = img->manifest_media_type, .size = img->manifest_size,
	};
	struct descriptor entry = { .media_type = (char *)MT_OCI_MANIFEST };
	struct blob_ref lref = { .size = list_len };
	struct index_ref *refs;
	char empty[DIGEST_STRLEN + 1], *man = NULL;
	size_t i, n = 0, len;
	int r, ret = -1;

	if (!img->repo_url)
		return error_set_msg(err, EINVAL, "indexes can only be pushed to a registry");
	for (i = 0; i < img->count && !idx[i].version; i++)
		;
	if (i == img->count && !list)
		return error_set_msg(err, EINVAL, "nothing to push: no layer index and no prefetch list");
	memcpy(subject.digest, img->manifest_digest, sizeof(subject.digest));
	refs = calloc(img->count ? 2 * img->count : 1, sizeof(*refs));
	if (!refs || digest_of(EMPTY_JSON, strlen(EMPTY_JSON), empty) < 0) {
		free(refs);
		return error_set(err, ENOMEM, "push");
	}
	if (blob_put(f, img->repo_url, empty, EMPTY_JSON, strlen(EMPTY_JSON), err) < 0)
		goto out;
	/* a layer not indexed (version 0: it has its own TOC) has no blob */
	for (i = 0; i < img->count; i++)
		if (idx[i].version &&
		    index_put(f, img->repo_url, &idx[i], &refs[n++], err) < 0) {
			error_wrap(err, "index of layer %s", img->layers[i].digest);
			goto out;
		}
	for (i = 0; comp && i < img->count; i++)
		if (comp[i].idx.version &&
		    companion_put(f, img->repo_url, img->layers[i].digest, &comp[i],
				  &refs[n++], err) < 0) {
			error_wrap(err, "layer %s", img->layers[i].digest);
			goto out;
		}
	if (list && (digest_of(list, list_len, lref.digest) < 0 ||
		     blob_put(f, img->repo_url, lref.digest, list, list_len, err) < 0)) {
		error_wrap(err, "prefetch list");
		goto out;
	}
	if (referrer_manifest_build(&subject, refs, n, list ? &lref : NULL,
				    &man, &len, err) < 0 ||
	    digest_of(man, len, entry.digest) < 0)
		goto out;
	entry.size = len;
	if (manifest_put(f, img->repo_url, entry.digest, MT_OCI_MANIFEST, man, len, err) < 0)
		goto out;
	r = has_referrers_api(f, img->repo_url, subject.digest, err);
	if (r < 0)
		goto out;
	ret = r ? 0 : tag_add(f, img->repo_url, subject.digest, &entry, err);
out:
	for (i = 0; refs && i < n; i++)
		free(refs[i].span_pages);
	free(refs);
	free(man);
	return ret;
}

/*
 * One GET on a thread of its own: the requests of a lookup that do not
 * depend on each other go out together, not one round trip after
 * another (issue 18: a mount waits for them).
 */
struct get_job {
	struct fetcher *f;
	char *url;
	bool maybe;		/* a 404 is an answer (get_maybe) */
	int r;			/* 1 got it, 0 404 (maybe), -1 failed */
	char *body;
	size_t len;
	struct error *err;
};

static void get_run(struct get_job *j)
{
	if (!j->url) {
		j->r = error_set(&j->err, ENOMEM, "referrers");
		return;
	}
	if (j->maybe)
		j->r = get_maybe(j->f, j->url, MANIFEST_MAX, &j->body, &j->len, &j->err);
	else
		j->r = fetcher_get(j->f, j->url, MANIFEST_MAX, &j->body, &j->len, NULL,
				   &j->err) < 0 ? -1 : 1;
}

static void *get_main(void *arg)
{
	get_run(arg);
	return NULL;
}

static void get_job_clear(struct get_job *j)
{
	free(j->url);
	free(j->body);
	error_free(&j->err);
	memset(j, 0, sizeof(*j));
}

/* Run JOBS[0..N) up to 4 at a time, this thread among them. */
#define GET_THREADS 4
struct get_batch {
	struct get_job *jobs;
	size_t n;
	size_t next;
	pthread_mutex_t lock;
};

static void *batch_main(void *arg)
{
	struct get_batch *b = arg;

	for (;;) {
		size_t k;

		pthread_mutex_lock(&b->lock);
		k = b->next < b->n ? b->next++ : b->n;
		pthread_mutex_unlock(&b->lock);
		if (k == b->n)
			return NULL;
		get_run(&b->jobs[k]);
	}
}

static void get_all(struct get_job *jobs, size_t n)
{
	struct get_batch b = { .jobs = jobs, .n = n };
	pthread_t t[GET_THREADS - 1];
	size_t started = 0;

	pthread_mutex_init(&b.lock, NULL);
	while (started < GET_THREADS - 1 && started + 1 < n &&
	       pthread_create(&t[started], NULL, batch_main, &b) == 0)
		started++;
	batch_main(&b);
	while (started)
		pthread_join(t[--started], NULL);
	pthread_mutex_destroy(&b.lock);
}

/*
 * Add the index blobs of artifact D, fetched by J, to OUT; a bad
 * artifact is only logged.
 */
static int read_artifact(struct get_job *j, const char *subject,
			 const struct descriptor *d, struct index_refs *out)
{
	struct error *err = NULL;
	const char *body = j->body;
	size_t len = j->len;

	if (j->r < 0) {
		err = j->err;
		j->err = NULL;
		goto bad;
	}
	if (len != d->size || !digest_matches(d->digest, body, len)) {
		error_set_msg(&err, EINVAL, "does not match its descriptor (%zu bytes)", len);
		goto bad;
	}
	if (referrer_manifest_parse(body, len, subject, out, &err) < 0)
		goto bad;
	return 0;
bad:
	image_log("index artifact %s ignored: %s", d->digest, err ? err->msg : "?");
	error_free(&err);
	return 0;
}

int referrers_find(struct fetcher *f, const char *repo_url,
		   const char *manifest_digest, struct index_refs *out,
		   struct error **err)
{
	struct get_job api = { .f = f, .maybe = true }, tag = { .f = f, .maybe = true };
	struct get_job *use, *arts = NULL;
	struct descriptor *d = NULL;
	size_t n = 0, i;
	pthread_t t;
	bool started;
	int r, ret = -1;

	memset(out, 0, sizeof(*out));
	if (asprintf(&api.url, "%s/referrers/%s?artifactType=%s", repo_url,
		     manifest_digest, ARTIFACT_TYPE_INDEX) < 0)
		api.url = NULL;
	/*
	 * the referrers API and, for a registry without it, the tag schema,
	 * asked together: the tag's answer is used only without the API's
	 */
	tag.url = referrers_tag_url(repo_url, manifest_digest);
	started = pthread_create(&t, NULL, get_main, &tag) == 0;
	get_run(&api);
	if (started)
		pthread_join(t, NULL);
	use = &api;
	r = api.r;
	if (r < 0 && api.err->errnum != EIO)
		r = 0;
	if (r == 0) {
		/* no referrers API: the tag schema */
		if (!started)
			get_run(&tag);
		use = &tag;
		r = tag.r;
	}
	if (r <= 0) {
		ret = r;
		if (r < 0) {
			*err = use->err;
			use->err = NULL;
		}
		goto out;
	}
	if (referrers_index_ours(use->body, use->len, &d, &n, err) < 0)
		goto out;
	/* the artifacts' manifests fetched together, read in their order */
	arts = calloc(n ? n : 1, sizeof(*arts));
	if (!arts) {
		error_set(err, ENOMEM, "referrers");
		goto out;
	}
	for (i = 0; i < n; i++) {
		arts[i].f = f;
		arts[i].url = repo_path(repo_url, "manifests", d[i].digest);
	}
	get_all(arts, n);
	for (i = 0; i < n; i++)
		read_artifact(&arts[i], manifest_digest, &d[i], out);
	ret = 0;
out:
	if (ret < 0) {
		index_refs_free(out);
		error_wrap(err, "referrers of %s", manifest_digest);
	}
	for (i = 0; arts && i < n; i++)
		get_job_clear(&arts[i]);
	free(arts);
	descriptors_free(d, n);
	get_job_clear(&api);
	get_job_clear(&tag);
	return ret;
}

/* A version 2 head's windows blob in the registry, read by range. */
struct windows_blob {
	struct fetcher *f;
	char *url;
	uint64_t size;
};

static int windows_read_at(void *ctx, uint64_t off, void *buf, size_t len,
			   struct error **err)
{
	struct windows_blob *w = ctx;
	struct fetch_range r = { .off = off, .len = len, .buf = buf };

	/* the head says where; the blob's size is the artifact's */
	if (off > w->size || len > w->size - off)
		return error_set(err, EINVAL, "%zu bytes at %llu past the end of the windows"
				 " blob (%llu bytes)", len, (unsigned long long)off,
				 (unsigned long long)w->size);
	return fetcher_get_ranges(w->f, w->url, &r, 1, err);
}

static void windows_blob_free(void *ctx)
{
	struct windows_blob *w = ctx;

	free(w->url);
	free(w);
}

int referrers_windows(struct fetcher *f, const char *repo_url,
		      struct layer_index *idx, struct error **err)
{
	struct windows_blob *w = calloc(1, sizeof(*w));
	char digest[DIGEST_STRLEN + 1];

	memcpy(digest, "sha256:", 7);
	sha256_hex(idx->windows_sha256, digest + 7);
	if (w)
		w->url = repo_path(repo_url, "blobs", digest);
	if (!w || !w->url) {
		free(w);
		return error_set(err, ENOMEM, "index windows");
	}
	w->f = f;
	w->size = idx->windows_size;
	return layer_index_set_windows(idx, windows_read_at, w, windows_blob_free, err);
}

/*
 * A companion's index with span digests: read by COMPANION_READ_CHUNK
 * chunks (a small file's frame rounded out to them), each span checked
 * after it is decompressed against its digest (span_sha256, zeroed
 * here: span_pages_ensure fills a page of them before a read needs it;
 * a span whose page is not there fails its check), not by the head's
 * chunk hashes, which are dropped.
 */
static int companion_by_spans(const struct index_ref *ref, struct layer_index *idx,
			      struct error **err)
{
	uint64_t n = idx->ncheckpoints;

	if (!ref->spans.digest[0] || ref->spans.size != n * 32 || !ref->span_pages ||
	    strlen(ref->span_pages) != (n + COMPANION_SPAN_PAGE - 1) / COMPANION_SPAN_PAGE * 64)
		return error_set_msg(err, EINVAL, "span digests of %llu bytes (%zu of pages) for %llu spans",
				     (unsigned long long)ref->spans.size,
				     ref->span_pages ? strlen(ref->span_pages) / 64 : 0,
				     (unsigned long long)n);
	idx->span_sha256 = calloc(n ? n : 1, sizeof(*idx->span_sha256));
	if (!idx->span_sha256)
		return error_set(err, ENOMEM, "span digests");
	free(idx->chunk_sha256);
	idx->chunk_sha256 = NULL;
	idx->chunk_size = COMPANION_READ_CHUNK;
	idx->nchunks = idx->compressed_size / COMPANION_READ_CHUNK +
		       (idx->compressed_size % COMPANION_READ_CHUNK != 0);
	return 0;
}

int referrers_load(struct fetcher *f, const char *repo_url,
		   const struct index_ref *ref, struct layer_index *idx,
		   char **head, size_t *head_len, struct error **err)
{
	char *url = repo_path(repo_url, "blobs", ref->digest), *body = NULL;
	char wdigest[DIGEST_STRLEN + 1];
	bool v2 = ref->windows.digest[0], comp = ref->companion.digest[0];
	/* a companion's index is of the companion, which stands in for the layer */
	const char *of = comp ? ref->companion.digest : ref->layer;
	size_t len;
	int ret = -1;

	memset(idx, 0, sizeof(*idx));
	if (head)
		*head = NULL;
	if (!url)
		return error_set(err, ENOMEM, "index blob");
	if (fetcher_get(f, url, INDEX_BLOB_MAX, &body, &len, NULL, err) < 0)
		goto out;
	if (len != ref->size || !digest_matches(ref->digest, body, len)) {
		error_set_msg(err, EINVAL, "the blob does not match its digest and size (%zu bytes, %llu expected)",
			      len, (unsigned long long)ref->size);
		goto out;
	}
	if (v2 && ref->gzip) {
		uint8_t *plain;

		if (index_gunzip((const uint8_t *)body, len, INDEX_BLOB_MAX, &plain, &len, err) < 0)
			goto out;
		free(body);
		body = (char *)plain;
	}
	if (v2 ? layer_index_decode_head(body, len, idx, err) < 0 :
		 layer_index_decode(body, len, idx, err) < 0)
		goto out;
	if (strcmp(idx->digest, of) ||
	    (comp && idx->compressed_size != ref->companion.size)) {
		if (comp)
			error_set_msg(err, EINVAL, "it indexes %s (%llu bytes), not %s, the companion the artifact lists",
				      idx->digest, (unsigned long long)idx->compressed_size, of);
		else
			error_set_msg(err, EINVAL, "it indexes layer %s, not %s", idx->digest, of);
		goto bad;
	}
	if (comp && (idx->compression != LAYER_ZSTD || !idx->seekable)) {
		error_set_msg(err, EINVAL, "a companion's index not of seekable zstd");
		goto bad;
	}
	/* its head's chunk hashes are not what checks it: the span digests are */
	if (comp && companion_by_spans(ref, idx, err) < 0)
		goto bad;
	if (v2) {
		/* the head names its windows: the artifact must agree */
		memcpy(wdigest, "sha256:", 7);
		sha256_hex(idx->windows_sha256, wdigest + 7);
		if (strcmp(wdigest, ref->windows.digest) ||
		    idx->windows_size != ref->windows.size) {
			error_set_msg(err, EINVAL, "its windows are %s (%llu bytes), the artifact lists %s (%llu)",
				      wdigest, (unsigned long long)idx->windows_size,
				      ref->windows.digest,
				      (unsigned long long)ref->windows.size);
			goto bad;
		}
		if (referrers_windows(f, repo_url, idx, err) < 0)
			goto bad;
		if (head) {
			*head = body;
			*head_len = len;
			body = NULL;
		}
	}
	ret = 0;
	goto out;
bad:
	layer_index_free(idx);
out:
	if (ret < 0)
		error_wrap(err, "index blob %s", ref->digest);
	free(url);
	free(body);
	return ret;
}

int referrers_load_list(struct fetcher *f, const char *repo_url,
			const struct blob_ref *ref, char **buf, size_t *len,
			struct error **err)
{
	char *url = repo_path(repo_url, "blobs", ref->digest);

	*buf = NULL;
	if (!url)
		return error_set(err, ENOMEM, "prefetch list blob");
	if (fetcher_get(f, url, PREFETCH_LIST_MAX, buf, len, NULL, err) < 0)
		goto bad;
	if (*len != ref->size || !digest_matches(ref->digest, *buf, *len)) {
		error_set_msg(err, EINVAL, "the blob does not match its digest and size (%zu bytes, %llu expected)",
			      *len, (unsigned long long)ref->size);
		goto bad;
	}
	free(url);
	return 0;
bad:
	free(url);
	free(*buf);
	*buf = NULL;
	return error_wrap(err, "prefetch list blob %s", ref->digest);
}
