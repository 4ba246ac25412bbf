// SPDX-License-Identifier: MIT
/*
 * layer_sidecar: an index next to a remote layer, its head first and its
 * windows by range (layer_sidecar.h).
 */
#include "layer_sidecar.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define HEAD_V2 128		/* a version 2 header: docs/INDEX.md */
#define WINDOWS_SIZE_AT 88	/* its windows part's size, 8 bytes LE */
#define TRAILER 32

/* The windows part of a version 2 sidecar: bytes [base, base+size) of url. */
struct sidecar_windows {
	struct fetcher *f;
	char *url;
	uint64_t base, size;
};

static int windows_read_at(void *ctx, uint64_t off, void *buf, size_t len,
			   struct error **err)
{
	struct sidecar_windows *w = ctx;
	struct fetch_range r = { .off = w->base + off, .len = len, .buf = buf };

	if (off > w->size || len > w->size - off)
		return error_set_msg(err, EINVAL, "%zu bytes at %" PRIu64 " past the end of the"
				     " windows part (%" PRIu64 " bytes)", len, off, w->size);
	if (fetcher_get_ranges(w->f, w->url, &r, 1, err) < 0)
		return error_wrap(err, "%s: windows", w->url);
	return 0;
}

static void windows_free(void *ctx)
{
	struct sidecar_windows *w = ctx;

	free(w->url);
	free(w);
}

/* Bytes [OFF, OFF+LEN) of URL into BUF. */
static int get(struct fetcher *f, const char *url, uint64_t off, void *buf,
	       size_t len, struct error **err)
{
	struct fetch_range r = { .off = off, .len = len, .buf = buf };

	return len ? fetcher_get_ranges(f, url, &r, 1, err) : 0;
}

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

/* Version 2: the head (its header HDR already read), the windows left there. */
static int load_head(struct fetcher *f, const char *url, uint64_t size,
		     const uint8_t *hdr, struct layer_index *idx, struct error **err)
{
	uint64_t wsize = le64(hdr + WINDOWS_SIZE_AT), hlen;
	struct sidecar_windows *w;
	uint8_t *head;
	int ret;

	if (wsize > size - (HEAD_V2 + TRAILER))
		return error_set_msg(err, EINVAL, "windows part of %" PRIu64 " bytes past the end"
				     " of the file (%" PRIu64 " bytes)", wsize, size);
	hlen = size - wsize;
	head = malloc((size_t)hlen);
	if (!head)
		return error_set(err, ENOMEM, "index head of %" PRIu64 " bytes", hlen);
	memcpy(head, hdr, HEAD_V2);
	ret = get(f, url, HEAD_V2, head + HEAD_V2, (size_t)(hlen - HEAD_V2), err);
	if (!ret)
		ret = layer_index_decode_head(head, (size_t)hlen, idx, err);
	free(head);
	if (ret < 0)
		return -1;
	w = calloc(1, sizeof(*w));
	if (w)
		w->url = strdup(url);
	if (!w || !w->url) {
		free(w);
		layer_index_free(idx);
		return error_set(err, ENOMEM, "index windows");
	}
	w->f = f;
	w->base = hlen;
	w->size = wsize;
	/* frees W on failure */
	if (layer_index_set_windows(idx, windows_read_at, w, windows_free, err) < 0) {
		layer_index_free(idx);
		return -1;
	}
	return 0;
}

/* One try: 1 loaded, -1 failed. */
static int load(struct fetcher *f, const char *url, uint64_t size,
		struct layer_index *idx, struct error **err)
{
	uint8_t hdr[HEAD_V2], *buf;
	uint64_t have = 0;
	int ret;

	memset(idx, 0, sizeof(*idx));
	if (size >= HEAD_V2 + TRAILER) {
		if (get(f, url, 0, hdr, sizeof(hdr), err) < 0)
			return -1;
		if (!memcmp(hdr, "OVLMIDX", 8) && hdr[8] == LAYER_INDEX_VERSION_SPLIT &&
		    !hdr[9] && !hdr[10] && !hdr[11])
			return load_head(f, url, size, hdr, idx, err) < 0 ? -1 : 1;
		have = sizeof(hdr);
	}
	/* version 1 (or not an index: decode says so), whole: the rest of it */
	buf = malloc(size ? (size_t)size : 1);
	if (!buf)
		return error_set(err, ENOMEM, "index of %" PRIu64 " bytes", size);
	memcpy(buf, hdr, (size_t)have);
	ret = get(f, url, have, buf + have, (size_t)(size - have), err);
	if (!ret)
		ret = layer_index_decode(buf, (size_t)size, idx, err);
	free(buf);
	return ret < 0 ? -1 : 1;
}

int layer_sidecar_load(struct fetcher *f, const char *url, uint64_t max,
		       struct layer_index *idx, struct error **err)
{
	uint64_t size;

	memset(idx, 0, sizeof(*idx));
	if (fetcher_size(f, url, &size, err) < 0) {
		/* most layers have none: not an error */
		error_free(err);
		return 0;
	}
	if (size > max || size > SIZE_MAX)
		return error_set_msg(err, EFBIG, "%" PRIu64 " bytes, at most %" PRIu64, size, max);
	/*
	 * an index that fails its checks is fetched once more, the same
	 * ranges (a transfer gone wrong, as a blob chunk's), then refused
	 */
	if (load(f, url, size, idx, err) > 0)
		return 1;
	error_free(err);
	return load(f, url, size, idx, err);
}
