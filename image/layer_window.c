// SPDX-License-Identifier: MIT
/*
 * gzip checkpoint windows, kept the way the index file stores them
 * (deflated, or raw when that is no smaller) and inflated only when a
 * read starts at their checkpoint. A window of 32 KiB deflates to a few
 * dozen bytes when it is all zeros: inflating every window of an index
 * at load would let a small hostile index claim gigabytes.
 */
#include "layer_index.h"
#include "layer_priv.h"

#include <errno.h>
#include <inttypes.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

int layer_window_store(struct layer_checkpoint *cp, const uint8_t *raw,
		       struct error **err)
{
	uLongf zlen = compressBound(LAYER_WINDOW_SIZE);
	uint8_t *z = malloc(zlen), *kept;

	if (!z)
		return error_set(err, ENOMEM, "layer: window");
	if (compress2(z, &zlen, raw, LAYER_WINDOW_SIZE, 6) == Z_OK &&
	    zlen < LAYER_WINDOW_SIZE) {
		/* give back what compressBound reserved */
		kept = realloc(z, zlen);
		cp->window = kept ? kept : z;
		cp->window_kind = LAYER_WINDOW_ZLIB;
		cp->window_len = (uint32_t)zlen;
		return 0;
	}
	free(z);
	cp->window = malloc(LAYER_WINDOW_SIZE);
	if (!cp->window)
		return error_set(err, ENOMEM, "layer: window");
	memcpy(cp->window, raw, LAYER_WINDOW_SIZE);
	cp->window_kind = LAYER_WINDOW_RAW;
	cp->window_len = LAYER_WINDOW_SIZE;
	return 0;
}

/*
 * Version 2 read as a head alone: windows not in memory are read from
 * the windows part (a registry blob, by range) by the first read that
 * starts at their checkpoint, checked against their sha256, and kept:
 * reads run in parallel on lowerfs' threads, hence the lock.
 */
struct layer_window_src {
	layer_read_at_fn read_at;
	void *ctx;
	void (*ctx_free)(void *);
	pthread_mutex_t lock;
	uint8_t **kept;		/* by checkpoint: the stored window once read */
};

int layer_index_set_windows(struct layer_index *idx, layer_read_at_fn read_at,
			    void *ctx, void (*ctx_free)(void *),
			    struct error **err)
{
	struct layer_window_src *src = calloc(1, sizeof(*src));

	if (src)
		src->kept = calloc(idx->ncheckpoints ? idx->ncheckpoints : 1,
				   sizeof(*src->kept));
	if (!src || !src->kept || pthread_mutex_init(&src->lock, NULL)) {
		if (src)
			free(src->kept);
		free(src);
		if (ctx_free)
			ctx_free(ctx);
		return error_set(err, ENOMEM, "index: window source");
	}
	src->read_at = read_at;
	src->ctx = ctx;
	src->ctx_free = ctx_free;
	layer_window_src_free(idx->windows, idx->ncheckpoints);
	idx->windows = src;
	return 0;
}

void layer_window_src_free(struct layer_window_src *src, uint32_t n)
{
	uint32_t i;

	if (!src)
		return;
	for (i = 0; i < n; i++)
		free(src->kept[i]);
	free(src->kept);
	if (src->ctx_free)
		src->ctx_free(src->ctx);
	pthread_mutex_destroy(&src->lock);
	free(src);
}

/* The stored window of checkpoint I, read and checked once. */
static const uint8_t *window_fetch(const struct layer_index *idx, uint32_t i,
				   struct error **err)
{
	const struct layer_checkpoint *cp = &idx->checkpoints[i];
	struct layer_window_src *src = idx->windows;
	uint8_t *buf, sum[32];
	const uint8_t *kept;
	unsigned int sumlen;

	if (!src) {
		error_set(err, EIO, "index of layer %s: checkpoint %" PRIu32
			  ": window not in memory and no source for it", idx->digest, i);
		return NULL;
	}
	pthread_mutex_lock(&src->lock);
	kept = src->kept[i];
	pthread_mutex_unlock(&src->lock);
	if (kept)
		return kept;
	buf = malloc(cp->window_len);
	if (!buf) {
		error_set(err, ENOMEM, "layer: window");
		return NULL;
	}
	/*
	 * two readers may both fetch it: the first kept wins. One that does
	 * not match is fetched once more (a transfer gone wrong), as a blob
	 * chunk is; twice wrong fails the read.
	 */
	for (int attempt = 0;; attempt++) {
		if (src->read_at(src->ctx, cp->window_off, buf, cp->window_len, err) < 0) {
			free(buf);
			error_wrap(err, "index of layer %s: checkpoint %" PRIu32 ": window",
				   idx->digest, i);
			return NULL;
		}
		if (EVP_Digest(buf, cp->window_len, sum, &sumlen, EVP_sha256(), NULL) &&
		    !memcmp(sum, cp->window_sha256, 32))
			break;
		if (attempt) {
			free(buf);
			error_set(err, EIO, "index of layer %s: checkpoint %" PRIu32
				  ": window (%" PRIu32 " bytes at %" PRIu64
				  " of the windows part) does not match its sha256",
				  idx->digest, i, cp->window_len, cp->window_off);
			return NULL;
		}
	}
	pthread_mutex_lock(&src->lock);
	if (!src->kept[i])
		src->kept[i] = buf;
	else
		free(buf);
	kept = src->kept[i];
	pthread_mutex_unlock(&src->lock);
	return kept;
}

int layer_index_window_missing(const struct layer_index *idx, uint32_t i)
{
	const struct layer_checkpoint *cp;
	struct layer_window_src *src = idx->windows;
	int missing;

	if (i >= idx->ncheckpoints || !src)
		return 0;
	cp = &idx->checkpoints[i];
	if (cp->window || cp->window_kind == LAYER_WINDOW_NONE)
		return 0;
	pthread_mutex_lock(&src->lock);
	missing = !src->kept[i];
	pthread_mutex_unlock(&src->lock);
	return missing;
}

int layer_index_fetch_window(const struct layer_index *idx, uint32_t i,
			     struct error **err)
{
	if (!layer_index_window_missing(idx, i))
		return 0;
	return window_fetch(idx, i, err) ? 0 : -1;
}

int layer_window_load(const struct layer_index *idx, uint32_t i,
		      uint8_t *out, struct error **err)
{
	const struct layer_checkpoint *cp = &idx->checkpoints[i];
	const uint8_t *stored = cp->window;
	uLongf n = LAYER_WINDOW_SIZE;

	if (!stored && cp->window_kind != LAYER_WINDOW_NONE) {
		stored = window_fetch(idx, i, err);
		if (!stored)
			return -1;
	}
	switch (cp->window_kind) {
	case LAYER_WINDOW_RAW:
		if (cp->window_len != LAYER_WINDOW_SIZE)
			break;
		memcpy(out, stored, LAYER_WINDOW_SIZE);
		return 0;
	case LAYER_WINDOW_ZLIB:
		if (uncompress(out, &n, stored, cp->window_len) != Z_OK ||
		    n != LAYER_WINDOW_SIZE)
			break;
		return 0;
	case LAYER_WINDOW_NONE:
		break;
	}
	return error_set(err, 0, "index: checkpoint %" PRIu32 ": corrupt compressed window", i);
}
