// SPDX-License-Identifier: MIT
/*
 * The streaming half of layer_index_build: compressed bytes come in from
 * the caller's reader, are hashed (whole and per chunk), decompressed
 * and handed out block by block, and the places where a later read can
 * start decompressing are recorded as checkpoints:
 *  - gzip: every member start, and about every LAYER_CHECKPOINT_SPAN
 *    output bytes at a deflate block boundary (inflate's Z_BLOCK), with
 *    the bit offset and the 32 KiB window a raw inflate needs to resume;
 *  - zstd: every frame start (one frame: nothing to seek to);
 *  (member and frame starts only if the member or frame has any data);
 *  - plain: offset 0 only, reads go straight to the offset.
 * After the last member or frame only zero bytes may follow.
 */
#include "layer_index.h"
#include "layer_priv.h"

#include <errno.h>
#include <inttypes.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <unistd.h>
#include <zstd.h>

#define IN_SIZE (128u << 10)
#define OUT_SIZE (128u << 10)

enum state {
	ST_BETWEEN,	/* before a gzip member or zstd frame, or at the end */
	ST_INSIDE,	/* inside one */
	ST_ZEROS,	/* trailing zeros after the last */
	ST_DONE,
};

struct layer_stream {
	layer_stream_fn next;
	void *ctx;
	struct layer_index *idx;

	uint8_t *in;
	size_t in_len, in_pos;
	bool in_eof;
	uint64_t in_total;		/* compressed bytes read so far */

	EVP_MD_CTX *whole, *chunk;
	uint32_t chunk_fill;
	uint64_t chunks_cap;

	enum state state;
	z_stream z;
	bool z_ready;
	ZSTD_DStream *zd;
	uint8_t *out;
	uint8_t *win;			/* a gzip window being recorded */
	uint64_t out_total;		/* uncompressed bytes handed out */
	uint64_t span;			/* output between gzip checkpoints */
	uint32_t cp_cap;
	/*
	 * The start of the current member or frame, made a checkpoint once
	 * it yields a byte: empty members and skippable frames get none.
	 */
	uint64_t start_in;
	bool start_pending;
};

static int sha_fail(struct error **err)
{
	return error_set(err, 0, "layer: sha256 failed");
}

static int chunk_done(struct layer_stream *s, struct error **err)
{
	struct layer_index *idx = s->idx;
	unsigned int n;

	if (idx->nchunks == s->chunks_cap) {
		uint64_t cap = s->chunks_cap ? s->chunks_cap * 2 : 64;
		void *p = reallocarray(idx->chunk_sha256, cap, 32);

		if (!p)
			return error_set(err, ENOMEM, "layer: chunk hashes");
		idx->chunk_sha256 = p;
		s->chunks_cap = cap;
	}
	if (!EVP_DigestFinal_ex(s->chunk, idx->chunk_sha256[idx->nchunks], &n) ||
	    !EVP_DigestInit_ex(s->chunk, EVP_sha256(), NULL))
		return sha_fail(err);
	idx->nchunks++;
	s->chunk_fill = 0;
	return 0;
}

static int hash_in(struct layer_stream *s, const uint8_t *p, size_t n,
		   struct error **err)
{
	if (!EVP_DigestUpdate(s->whole, p, n))
		return sha_fail(err);
	while (n) {
		size_t take = s->idx->chunk_size - s->chunk_fill;

		if (take > n)
			take = n;
		if (!EVP_DigestUpdate(s->chunk, p, take))
			return sha_fail(err);
		s->chunk_fill += (uint32_t)take;
		p += take;
		n -= take;
		if (s->chunk_fill == s->idx->chunk_size && chunk_done(s, err) < 0)
			return -1;
	}
	return 0;
}

/* Refill the input buffer once it is used up; sets in_eof at the end. */
static int fill(struct layer_stream *s, struct error **err)
{
	ssize_t n;

	if (s->in_pos < s->in_len || s->in_eof)
		return 0;
	s->in_pos = s->in_len = 0;
	n = s->next(s->ctx, s->in, IN_SIZE, err);
	if (n < 0)
		return error_wrap(err, "read layer at %" PRIu64, s->in_total);
	if ((size_t)n > IN_SIZE)
		return error_set(err, EINVAL, "read layer: reader returned too much");
	if (!n) {
		s->in_eof = true;
		return 0;
	}
	s->in_len = (size_t)n;
	s->in_total += (uint64_t)n;
	return hash_in(s, s->in, (size_t)n, err);
}

/* Compressed offset of in[in_pos]. */
static uint64_t in_off(const struct layer_stream *s)
{
	return s->in_total - (s->in_len - s->in_pos);
}

/* A checkpoint here; RAW: the 32 KiB window to resume a raw inflate, or NULL. */
static int add_checkpoint(struct layer_stream *s, uint64_t in, uint8_t bits,
			  const uint8_t *raw, struct error **err)
{
	struct layer_index *idx = s->idx;
	struct layer_checkpoint *cp;

	/* offsets strictly increase (decode insists): never two at one */
	if (idx->ncheckpoints &&
	    idx->checkpoints[idx->ncheckpoints - 1].out_off == s->out_total)
		return 0;
	if (idx->ncheckpoints == s->cp_cap) {
		uint32_t cap = s->cp_cap ? s->cp_cap * 2 : 16;

		cp = s->cp_cap < UINT32_MAX / 2 ?
		     reallocarray(idx->checkpoints, cap, sizeof(*cp)) : NULL;
		if (!cp)
			return error_set(err, ENOMEM, "layer: checkpoints");
		idx->checkpoints = cp;
		s->cp_cap = cap;
	}
	cp = &idx->checkpoints[idx->ncheckpoints];
	memset(cp, 0, sizeof(*cp));
	cp->in_off = in;
	cp->in_bits = bits;
	cp->out_off = s->out_total;
	/* kept deflated, as the index file has it: inflated when read */
	if (raw && layer_window_store(cp, raw, err) < 0)
		return -1;
	idx->ncheckpoints++;
	return 0;
}

/* After the last member or frame: nothing but zeros, or the end. */
static int zeros(struct layer_stream *s, struct error **err)
{
	for (;;) {
		const uint8_t *p = s->in + s->in_pos;
		size_t i, n = s->in_len - s->in_pos;

		for (i = 0; i < n; i++)
			if (p[i])
				return error_set(err, 0, "layer: garbage after the end of the %s stream at offset %" PRIu64,
						 layer_compression_name(s->idx->compression),
						 in_off(s) + i);
		s->in_pos = s->in_len;
		if (fill(s, err) < 0)
			return -1;
		if (s->in_pos == s->in_len)
			break;
	}
	s->state = ST_DONE;
	return 0;
}

/* Between members or frames: another one, trailing zeros, or the end. */
static int between(struct layer_stream *s, struct error **err)
{
	if (fill(s, err) < 0)
		return -1;
	if (s->in_pos == s->in_len) {
		s->state = ST_DONE;	/* fill() found the end */
		return 0;
	}
	if (!s->in[s->in_pos]) {
		s->state = ST_ZEROS;
		return 0;
	}
	if (s->idx->compression == LAYER_GZIP && s->in[s->in_pos] != 0x1f)
		return error_set(err, 0, "layer: garbage after gzip member at offset %" PRIu64,
				 in_off(s));
	if (s->idx->compression == LAYER_GZIP && inflateReset(&s->z) != Z_OK)
		return error_set(err, 0, "layer: inflateReset failed");
	s->state = ST_INSIDE;
	s->start_in = in_off(s);
	s->start_pending = true;
	return 0;
}

/* MADE more uncompressed bytes: count them, after the checkpoint they start. */
static int produced_bytes(struct layer_stream *s, size_t made,
			  struct error **err)
{
	if (made && s->start_pending) {
		s->start_pending = false;
		if (add_checkpoint(s, s->start_in, 0, NULL, err) < 0)
			return -1;
	}
	s->out_total += made;
	return 0;
}

/* The inflate window so far into s->win (32 KiB). */
static int window_of(struct layer_stream *s, struct error **err)
{
	uInt n = LAYER_WINDOW_SIZE;

	if (!s->win && !(s->win = malloc(LAYER_WINDOW_SIZE)))
		return error_set(err, ENOMEM, "layer: window");
	if (inflateGetDictionary(&s->z, s->win, &n) != Z_OK)
		return error_set(err, 0, "layer: inflateGetDictionary failed");
	/* early in a member the window is shorter: keep it at the end */
	if (n < LAYER_WINDOW_SIZE) {
		memmove(s->win + LAYER_WINDOW_SIZE - n, s->win, n);
		memset(s->win, 0, LAYER_WINDOW_SIZE - n);
	}
	return 0;
}

/* Reached the end of the input inside a member or frame? */
static int truncated(struct layer_stream *s, bool progress,
		     struct error **err)
{
	if (progress)
		return 0;
	if (s->in_eof)
		return error_set(err, 0, "layer: truncated %s stream (%" PRIu64 " bytes)",
				 layer_compression_name(s->idx->compression),
				 s->in_total);
	return error_set(err, 0, "layer: %s decoder made no progress",
			 layer_compression_name(s->idx->compression));
}

static int gzip_step(struct layer_stream *s, size_t *produced,
		     struct error **err)
{
	size_t made, used;
	const struct layer_checkpoint *prev;
	int ret;

	if (fill(s, err) < 0)
		return -1;
	s->z.next_in = s->in + s->in_pos;
	s->z.avail_in = (uInt)(s->in_len - s->in_pos);
	s->z.next_out = s->out + *produced;
	s->z.avail_out = (uInt)(OUT_SIZE - *produced);
	ret = inflate(&s->z, Z_BLOCK);
	used = s->in_len - s->in_pos - s->z.avail_in;
	made = OUT_SIZE - *produced - s->z.avail_out;
	s->in_pos += used;
	*produced += made;
	if (produced_bytes(s, made, err) < 0)
		return -1;
	if (ret == Z_STREAM_END) {
		s->state = ST_BETWEEN;
		return 0;
	}
	if (ret == Z_MEM_ERROR)
		return error_set(err, ENOMEM, "layer: inflate");
	if (ret != Z_OK && ret != Z_BUF_ERROR)
		return error_set(err, 0, "layer: corrupt gzip stream near offset %" PRIu64 ": %s",
				 in_off(s), s->z.msg ? s->z.msg : "inflate failed");
	if (truncated(s, used || made, err) < 0)
		return -1;
	/*
	 * At a block boundary, not after the last block; far enough in
	 * compressed bytes too for what decode allows (a small span).
	 */
	prev = s->idx->ncheckpoints ?
	       &s->idx->checkpoints[s->idx->ncheckpoints - 1] : NULL;
	if ((s->z.data_type & 128) && !(s->z.data_type & 64) &&
	    s->out_total - (prev ? prev->out_off : 0) >= s->span &&
	    in_off(s) - (prev ? prev->in_off : 0) >= LAYER_WINDOW_GAP_MIN) {
		if (window_of(s, err) < 0)
			return -1;
		return add_checkpoint(s, in_off(s), (uint8_t)(s->z.data_type & 7),
				      s->win, err);
	}
	return 0;
}

static int zstd_step(struct layer_stream *s, size_t *produced,
		     struct error **err)
{
	ZSTD_outBuffer out = { s->out, OUT_SIZE, *produced };
	ZSTD_inBuffer in;
	size_t r, used, made;

	if (fill(s, err) < 0)
		return -1;
	in.src = s->in;
	in.size = s->in_len;
	in.pos = s->in_pos;
	r = ZSTD_decompressStream(s->zd, &out, &in);
	if (ZSTD_isError(r))
		return error_set(err, 0, "layer: corrupt zstd stream near offset %" PRIu64 ": %s",
				 in_off(s), ZSTD_getErrorName(r));
	used = in.pos - s->in_pos;
	made = out.pos - *produced;
	s->in_pos = in.pos;
	*produced = out.pos;
	if (produced_bytes(s, made, err) < 0)
		return -1;
	if (!r) {
		s->state = ST_BETWEEN;	/* the frame is whole and flushed */
		return 0;
	}
	return truncated(s, used || made, err);
}

int layer_stream_read(struct layer_stream *s, const void **buf, size_t *len,
		      struct error **err)
{
	size_t produced = 0;
	int ret = 0;

	*buf = s->out;
	*len = 0;
	if (s->idx->compression == LAYER_PLAIN) {
		if (fill(s, err) < 0)
			return -1;
		*buf = s->in + s->in_pos;
		*len = s->in_len - s->in_pos;
		s->in_pos = s->in_len;
		s->out_total += *len;
		return 0;
	}
	while (!ret && produced < OUT_SIZE && s->state != ST_DONE) {
		switch (s->state) {
		case ST_BETWEEN:
			/* hand out what there is before looking further */
			if (produced)
				goto out;
			ret = between(s, err);
			break;
		case ST_ZEROS:
			ret = zeros(s, err);
			break;
		case ST_INSIDE:
			ret = s->idx->compression == LAYER_GZIP ?
			      gzip_step(s, &produced, err) :
			      zstd_step(s, &produced, err);
			break;
		case ST_DONE:
			break;
		}
	}
out:
	*len = produced;
	return ret;
}

static int detect(struct layer_stream *s, struct error **err)
{
	static const uint8_t gz[2] = { 0x1f, 0x8b };
	static const uint8_t zst[4] = { 0x28, 0xb5, 0x2f, 0xfd };

	/* the first read may be short: gather the 4 magic bytes */
	while (!s->in_eof && s->in_len < sizeof(zst)) {
		ssize_t n = s->next(s->ctx, s->in + s->in_len, IN_SIZE - s->in_len, err);

		if (n < 0)
			return error_wrap(err, "read layer");
		if ((size_t)n > IN_SIZE - s->in_len)
			return error_set(err, EINVAL, "read layer: reader returned too much");
		if (!n)
			s->in_eof = true;
		if (hash_in(s, s->in + s->in_len, (size_t)n, err) < 0)
			return -1;
		s->in_len += (size_t)n;
		s->in_total += (uint64_t)n;
	}
	if (s->in_len >= 2 && !memcmp(s->in, gz, 2))
		s->idx->compression = LAYER_GZIP;
	else if (s->in_len >= 4 && !memcmp(s->in, zst, 4))
		s->idx->compression = LAYER_ZSTD;
	else
		s->idx->compression = LAYER_PLAIN;
	return 0;
}

int layer_stream_open(layer_stream_fn next, void *ctx, uint32_t chunk_size,
		      uint64_t span, struct layer_index *idx,
		      struct layer_stream **out, struct error **err)
{
	struct layer_stream *s = calloc(1, sizeof(*s));

	*out = NULL;
	if (!s)
		return error_set(err, ENOMEM, "layer: stream");
	s->next = next;
	s->ctx = ctx;
	s->idx = idx;
	s->span = span;
	idx->chunk_size = chunk_size;
	s->in = malloc(IN_SIZE);
	s->out = malloc(OUT_SIZE);
	s->whole = EVP_MD_CTX_new();
	s->chunk = EVP_MD_CTX_new();
	if (!s->in || !s->out || !s->whole || !s->chunk) {
		layer_stream_free(s);
		return error_set(err, ENOMEM, "layer: stream");
	}
	if (!EVP_DigestInit_ex(s->whole, EVP_sha256(), NULL) ||
	    !EVP_DigestInit_ex(s->chunk, EVP_sha256(), NULL)) {
		layer_stream_free(s);
		return sha_fail(err);
	}
	if (detect(s, err) < 0)
		goto fail;
	switch (idx->compression) {
	case LAYER_GZIP:
		/* 15 + 16: a gzip wrapper, its CRC and length checked */
		if (inflateInit2(&s->z, 15 + 16) != Z_OK) {
			error_set(err, ENOMEM, "layer: inflateInit");
			goto fail;
		}
		s->z_ready = true;
		break;
	case LAYER_ZSTD:
		s->zd = ZSTD_createDStream();
		if (!s->zd) {
			error_set(err, ENOMEM, "layer: zstd");
			goto fail;
		}
		break;
	case LAYER_PLAIN:
		if (add_checkpoint(s, 0, 0, NULL, err) < 0)
			goto fail;
		break;
	}
	s->state = ST_BETWEEN;
	*out = s;
	return 0;
fail:
	layer_stream_free(s);
	return -1;
}

int layer_stream_finish(struct layer_stream *s, struct error **err)
{
	struct layer_index *idx = s->idx;
	uint8_t sum[32];
	unsigned int n;
	int i;

	if (idx->compression == LAYER_PLAIN ? !s->in_eof || s->in_pos < s->in_len :
	    s->state != ST_DONE)
		return error_set(err, 0, "layer: stream not read to its end");
	if (s->chunk_fill && chunk_done(s, err) < 0)
		return -1;
	if (!EVP_DigestFinal_ex(s->whole, sum, &n))
		return sha_fail(err);
	memcpy(idx->digest, "sha256:", 7);
	for (i = 0; i < 32; i++)
		sprintf(idx->digest + 7 + 2 * i, "%02x", sum[i]);
	idx->compressed_size = s->in_total;
	idx->uncompressed_size = s->out_total;
	if (!idx->ncheckpoints && add_checkpoint(s, 0, 0, NULL, err) < 0)
		return -1;
	idx->seekable = idx->compression != LAYER_ZSTD || idx->ncheckpoints > 1;
	return 0;
}

void layer_stream_free(struct layer_stream *s)
{
	if (!s)
		return;
	if (s->z_ready)
		inflateEnd(&s->z);
	ZSTD_freeDStream(s->zd);
	EVP_MD_CTX_free(s->whole);
	EVP_MD_CTX_free(s->chunk);
	free(s->in);
	free(s->out);
	free(s->win);
	free(s);
}

ssize_t layer_fd_next(void *ctx, void *buf, size_t len, struct error **err)
{
	int fd = *(int *)ctx;
	ssize_t n;

	do
		n = read(fd, buf, len);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		error_set(err, errno, "read layer");
	return n;
}
