// SPDX-License-Identifier: MIT
/*
 * layer_read: a range of the uncompressed tar stream, decompressed from
 * the last checkpoint at or before it. Compressed bytes are fetched in
 * chunk-aligned pieces so that a chunk cache below sees whole chunks.
 */
#include "layer_index.h"
#include "layer_priv.h"

#include <errno.h>
#include <inttypes.h>
#include <libdeflate.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "digest.h"

#define OUT_SIZE (128u << 10)
/*
 * A gzip span inflated whole (layer_read_span_whole): room for what its
 * member holds past the span (eStargz: the tar's padding and the headers
 * up to the next file's data), and the largest span taken that way.
 */
#define WHOLE_SLACK (64u << 10)
#define WHOLE_MAX (64u << 20)

/* Compressed input, one chunk-aligned piece at a time. */
struct cin {
	const struct layer_index *idx;
	layer_read_at_fn read_at;
	void *ctx;
	uint64_t pos;		/* compressed offset of the next piece */
	uint64_t limit;		/* no piece goes past this */
	uint8_t *buf;
	size_t len, used;
};

/* The next piece, from pos to the end of its chunk; len 0 at the end. */
static int cin_next(struct cin *c, struct error **err)
{
	uint64_t end = (c->pos / c->idx->chunk_size + 1) * c->idx->chunk_size;

	if (end > c->limit)
		end = c->limit;
	c->used = 0;
	c->len = c->pos < end ? (size_t)(end - c->pos) : 0;
	if (!c->len)
		return 0;
	if (c->read_at(c->ctx, c->pos, c->buf, c->len, err) < 0)
		return error_wrap(err, "read layer at %" PRIu64, c->pos);
	c->pos = end;
	return 0;
}

/* Input for a decoder that needs more: fails at the end of the layer. */
static int cin_more(struct cin *c, struct error **err)
{
	if (c->used < c->len)
		return 0;
	if (cin_next(c, err) < 0)
		return -1;
	if (!c->len)
		return error_set(err, 0, "layer: compressed data ends before the uncompressed size in the index");
	return 0;
}

/* Where the decoded bytes go: skipped up to off, then to the sink. */
struct out {
	uint64_t pos, off, len;
	uint64_t done;
	layer_sink_fn sink;
	void *ctx;
};

static int deliver(struct out *o, const uint8_t *p, size_t n, struct error **err)
{
	uint64_t start = o->pos, end = o->pos + n;

	o->pos = end;
	if (!n || end <= o->off || o->done == o->len)
		return 0;
	if (start < o->off) {
		p += o->off - start;
		start = o->off;
	}
	if (end - start > o->len - o->done)
		end = start + (o->len - o->done);
	o->done += end - start;
	return o->sink(o->ctx, p, (size_t)(end - start), err);
}

uint32_t layer_checkpoint_at(const struct layer_index *idx, uint64_t off)
{
	uint32_t lo = 0, hi = idx->ncheckpoints;

	/* the last with out_off <= off; [0] is at 0 */
	while (hi - lo > 1) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (idx->checkpoints[mid].out_off <= off)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

static int read_plain(struct cin *c, struct out *o, struct error **err)
{
	/* plain bytes are the data itself: fetch no more than asked */
	c->pos = o->off;
	c->limit = o->off + o->len;
	while (o->done < o->len) {
		if (cin_more(c, err) < 0)
			return -1;
		if (deliver(o, c->buf, c->len, err) < 0)
			return -1;
		c->used = c->len;
	}
	return 0;
}

enum gz_mode {
	GZ_RAW,		/* resumed inside a member: raw deflate */
	GZ_MEMBER,	/* inside a member read from its header */
	GZ_TRAILER,	/* skipping a raw member's CRC and length */
	GZ_BETWEEN,	/* a member ended: the next must start here */
};

static int gz_start(z_stream *z, struct cin *c, const struct layer_index *idx,
		    uint32_t i, enum gz_mode *mode, struct error **err)
{
	const struct layer_checkpoint *cp = &idx->checkpoints[i];
	uint8_t *window;
	int ret;

	if (cp->window_kind == LAYER_WINDOW_NONE) {
		*mode = GZ_MEMBER;
		c->pos = cp->in_off;
		if (inflateInit2(z, 15 + 16) != Z_OK)
			return error_set(err, ENOMEM, "layer: inflateInit");
		return 0;
	}
	*mode = GZ_RAW;
	/* the pending bits are the top bits of the byte before in_off */
	c->pos = cp->in_off - (cp->in_bits ? 1 : 0);
	if (inflateInit2(z, -15) != Z_OK)
		return error_set(err, ENOMEM, "layer: inflateInit");
	if (cp->in_bits) {
		if (cin_more(c, err) < 0)
			return -1;
		if (inflatePrime(z, cp->in_bits, c->buf[0] >> (8 - cp->in_bits)) != Z_OK)
			return error_set(err, 0, "layer: inflatePrime failed");
		c->used = 1;
	}
	/* stored deflated: inflated for this read only */
	window = malloc(LAYER_WINDOW_SIZE);
	if (!window)
		return error_set(err, ENOMEM, "layer: window");
	ret = layer_window_load(idx, i, window, err);
	if (!ret && inflateSetDictionary(z, window, LAYER_WINDOW_SIZE) != Z_OK)
		ret = error_set(err, 0, "layer: inflateSetDictionary failed");
	free(window);
	return ret;
}

/* After a member's end: skip a raw member's trailer, find the next header. */
static int gz_between(z_stream *z, struct cin *c, enum gz_mode *mode,
		      unsigned *trailer, struct error **err)
{
	if (cin_more(c, err) < 0)
		return -1;
	if (*mode == GZ_TRAILER) {
		size_t n = c->len - c->used;

		if (n > *trailer)
			n = *trailer;
		c->used += n;
		*trailer -= (unsigned)n;
		if (!*trailer)
			*mode = GZ_BETWEEN;
		return 0;
	}
	if (c->buf[c->used] != 0x1f)
		return error_set(err, 0, "layer: gzip data ends before the uncompressed size in the index");
	if (inflateReset2(z, 15 + 16) != Z_OK)
		return error_set(err, 0, "layer: inflateReset failed");
	*mode = GZ_MEMBER;
	return 0;
}

static int gz_pump(z_stream *z, struct cin *c, struct out *o, uint8_t *obuf,
		   enum gz_mode *mode, unsigned *trailer, struct error **err)
{
	size_t made, used;
	int ret;

	if (*mode == GZ_TRAILER || *mode == GZ_BETWEEN)
		return gz_between(z, c, mode, trailer, err);
	if (cin_more(c, err) < 0)
		return -1;
	z->next_in = c->buf + c->used;
	z->avail_in = (uInt)(c->len - c->used);
	z->next_out = obuf;
	z->avail_out = OUT_SIZE;
	ret = inflate(z, Z_NO_FLUSH);
	used = c->len - c->used - z->avail_in;
	made = OUT_SIZE - z->avail_out;
	c->used += used;
	if (ret == Z_STREAM_END) {
		*trailer = 8;
		*mode = *mode == GZ_RAW ? GZ_TRAILER : GZ_BETWEEN;
	} else if (ret == Z_MEM_ERROR) {
		return error_set(err, ENOMEM, "layer: inflate");
	} else if ((ret != Z_OK && ret != Z_BUF_ERROR) || (!used && !made)) {
		return error_set(err, 0, "layer: corrupt gzip data near offset %" PRIu64 ": %s",
				 c->pos - (c->len - c->used),
				 z->msg ? z->msg : "no progress");
	}
	return deliver(o, obuf, made, err);
}

static int read_gzip(struct cin *c, struct out *o, const struct layer_index *idx,
		     uint32_t cp, struct error **err)
{
	uint8_t *obuf = malloc(OUT_SIZE);
	z_stream z = { 0 };
	enum gz_mode mode;
	unsigned trailer = 0;
	int ret = -1;

	if (!obuf)
		return error_set(err, ENOMEM, "layer: read");
	if (gz_start(&z, c, idx, cp, &mode, err) < 0)
		goto out;
	while (o->done < o->len)
		if (gz_pump(&z, c, o, obuf, &mode, &trailer, err) < 0)
			goto out;
	ret = 0;
out:
	inflateEnd(&z);
	free(obuf);
	return ret;
}

static int read_zstd(struct cin *c, struct out *o, const struct layer_checkpoint *cp,
		     struct error **err)
{
	ZSTD_DCtx *d = ZSTD_createDCtx();
	uint8_t *obuf = malloc(OUT_SIZE);
	int ret = -1;

	if (!d || !obuf) {
		error_set(err, ENOMEM, "layer: read");
		goto out;
	}
	c->pos = cp->in_off;
	while (o->done < o->len) {
		ZSTD_outBuffer zo = { obuf, OUT_SIZE, 0 };
		ZSTD_inBuffer zi;
		size_t r;

		if (cin_more(c, err) < 0)
			goto out;
		zi.src = c->buf;
		zi.size = c->len;
		zi.pos = c->used;
		/* frames follow each other: the context starts the next by itself */
		r = ZSTD_decompressStream(d, &zo, &zi);
		if (ZSTD_isError(r) || (zi.pos == c->used && !zo.pos)) {
			error_set(err, 0, "layer: corrupt zstd data near offset %" PRIu64 ": %s",
				  c->pos - (c->len - zi.pos),
				  ZSTD_isError(r) ? ZSTD_getErrorName(r) : "no progress");
			goto out;
		}
		c->used = zi.pos;
		if (deliver(o, obuf, zo.pos, err) < 0)
			goto out;
	}
	ret = 0;
out:
	ZSTD_freeDCtx(d);
	free(obuf);
	return ret;
}

static int read_range(const struct layer_index *idx, layer_read_at_fn read_at,
		      void *read_ctx, uint64_t off, uint64_t len,
		      layer_sink_fn sink, void *sink_ctx, struct error **err)
{
	struct cin c = { idx, read_at, read_ctx, 0, idx->compressed_size, NULL, 0, 0 };
	struct out o = { 0, off, len, 0, sink, sink_ctx };
	const struct layer_checkpoint *cp;
	uint32_t at;
	int ret;

	c.buf = malloc(idx->chunk_size);
	if (!c.buf)
		return error_set(err, ENOMEM, "layer: read");
	at = layer_checkpoint_at(idx, off);
	cp = &idx->checkpoints[at];
	o.pos = cp->out_off;
	switch (idx->compression) {
	case LAYER_PLAIN:
		o.pos = off;
		ret = read_plain(&c, &o, err);
		break;
	case LAYER_GZIP:
		ret = read_gzip(&c, &o, idx, at, err);
		break;
	case LAYER_ZSTD:
		ret = read_zstd(&c, &o, cp, err);
		break;
	default:
		ret = error_set(err, EINVAL, "layer: unknown compression");
	}
	free(c.buf);
	return ret;
}

/* A span of a TOC's index: hashed whole, the part asked for kept until it matches. */
struct span_check {
	EVP_MD_CTX *md;
	uint64_t pos, skip, want;
	uint8_t *buf;
};

static int span_sink(void *ctx, const void *buf, size_t len, struct error **err)
{
	struct span_check *sc = ctx;
	uint64_t start = sc->pos, end = sc->pos + len;

	if (!EVP_DigestUpdate(sc->md, buf, len))
		return error_set(err, EIO, "layer: sha256 failed");
	sc->pos = end;
	if (start < sc->skip)
		start = sc->skip;
	if (end > sc->skip + sc->want)
		end = sc->skip + sc->want;
	if (start < end)
		memcpy(sc->buf + (start - sc->skip),
		       (const uint8_t *)buf + (start - (sc->pos - len)), end - start);
	return 0;
}

/*
 * The spans under [OFF, OFF+LEN), each decompressed whole and checked
 * against its sha256 before any byte of it goes to SINK: wrong bytes from
 * the registry or the cache fail the read with EIO, never reach a reader.
 */
static int read_checked(const struct layer_index *idx, layer_read_at_fn read_at,
			void *read_ctx, uint64_t off, uint64_t len,
			layer_sink_fn sink, void *sink_ctx, struct error **err)
{
	struct span_check sc = { .md = EVP_MD_CTX_new() };
	uint8_t md[32];
	int ret = 0;

	if (!sc.md)
		return error_set(err, ENOMEM, "layer: read");
	while (len && !ret) {
		uint32_t at = layer_checkpoint_at(idx, off);
		uint64_t start = idx->checkpoints[at].out_off;
		uint64_t end = at + 1 < idx->ncheckpoints ?
			       idx->checkpoints[at + 1].out_off :
			       idx->uncompressed_size;

		sc.pos = 0;
		sc.skip = off - start;
		sc.want = end - off < len ? end - off : len;
		sc.buf = malloc(sc.want ? sc.want : 1);
		if (!sc.buf) {
			ret = error_set(err, ENOMEM, "layer: span of %" PRIu64 " bytes",
					end - start);
			break;
		}
		if (!EVP_DigestInit_ex(sc.md, EVP_sha256(), NULL))
			ret = error_set(err, EIO, "layer: sha256 failed");
		else
			ret = read_range(idx, read_at, read_ctx, start, end - start,
					 span_sink, &sc, err);
		if (!ret && !EVP_DigestFinal_ex(sc.md, md, NULL))
			ret = error_set(err, EIO, "layer: sha256 failed");
		if (!ret && memcmp(md, idx->span_sha256[at], 32))
			ret = error_set_msg(err, EIO, "layer: data at %" PRIu64 " (%" PRIu64
					    " bytes from compressed offset %" PRIu64
					    ") does not match its digest in the layer's TOC",
					    start, end - start, idx->checkpoints[at].in_off);
		if (!ret)
			ret = sink(sink_ctx, sc.buf, sc.want, err);
		free(sc.buf);
		off += sc.want;
		len -= sc.want;
	}
	EVP_MD_CTX_free(sc.md);
	return ret;
}

int layer_read(const struct layer_index *idx, layer_read_at_fn read_at,
	       void *read_ctx, uint64_t off, uint64_t len, layer_sink_fn sink,
	       void *sink_ctx, struct error **err)
{
	if (off > idx->uncompressed_size || len > idx->uncompressed_size - off)
		return error_set(err, ERANGE, "layer: read of %" PRIu64 " bytes at %" PRIu64
				 " past the end (%" PRIu64 " bytes)", len, off,
				 idx->uncompressed_size);
	if (!len)
		return 0;
	if (!idx->ncheckpoints)
		return error_set(err, EINVAL, "layer: index without checkpoints");
	if (idx->span_sha256)
		return read_checked(idx, read_at, read_ctx, off, len, sink,
				    sink_ctx, err);
	return read_range(idx, read_at, read_ctx, off, len, sink, sink_ctx, err);
}

/*
 * Inflate the gzip members at IN into OUT until WANT bytes are out, each
 * member in one libdeflate call: 1 done, 0 not (a member holds more than
 * OUT's room, or bad data: the streaming path says what is wrong).
 */
static int inflate_members(const uint8_t *in, size_t in_len, uint8_t *out,
			   size_t room, size_t want)
{
	struct libdeflate_decompressor *d = libdeflate_alloc_decompressor();
	size_t in_pos = 0, out_pos = 0;
	int ret = 0;

	if (!d)
		return 0;
	while (out_pos < want) {
		size_t used, made;

		if (in_pos >= in_len ||
		    libdeflate_gzip_decompress_ex(d, in + in_pos, in_len - in_pos,
						  out + out_pos, room - out_pos,
						  &used, &made) != LIBDEFLATE_SUCCESS ||
		    !used)
			goto out;
		in_pos += used;
		out_pos += made;
	}
	ret = 1;
out:
	libdeflate_free_decompressor(d);
	return ret;
}

int layer_read_span_whole(const struct layer_index *idx, uint32_t at,
			  const uint8_t *cbuf, size_t clen, uint64_t off,
			  uint64_t len, layer_sink_fn sink, void *ctx,
			  struct error **err)
{
	const struct layer_checkpoint *cp;
	uint64_t start, end;
	uint8_t md[32], *out;
	int ret;

	if (at >= idx->ncheckpoints || !idx->span_sha256 ||
	    idx->compression != LAYER_GZIP || !len)
		return 0;
	cp = &idx->checkpoints[at];
	start = cp->out_off;
	end = at + 1 < idx->ncheckpoints ? idx->checkpoints[at + 1].out_off :
					   idx->uncompressed_size;
	if (cp->window_kind != LAYER_WINDOW_NONE || end <= start ||
	    end - start > WHOLE_MAX || off < start || off > end ||
	    len > end - off || !clen)
		return 0;
	out = malloc((size_t)(end - start) + WHOLE_SLACK);
	if (!out)
		return 0;
	ret = inflate_members(cbuf, clen, out, (size_t)(end - start) + WHOLE_SLACK,
			      (size_t)(end - start));
	if (ret == 1) {
		if (sha256_buf(out, (size_t)(end - start), md) < 0)
			ret = error_set(err, EIO, "layer: sha256 failed");
		else if (memcmp(md, idx->span_sha256[at], 32))
			ret = error_set_msg(err, EIO, "layer: data at %" PRIu64 " (%" PRIu64
					    " bytes from compressed offset %" PRIu64
					    ") does not match its digest in the layer's TOC",
					    start, end - start, cp->in_off);
		else if (sink(ctx, out + (off - start), (size_t)len, err) < 0)
			ret = -1;
	}
	free(out);
	return ret;
}
