// SPDX-License-Identifier: MIT
/*
 * The index file (docs/INDEX.md): little-endian, a fixed header, the
 * chunk hashes, the checkpoints, the entries, and a sha256 of all that.
 * Decoding treats the file as hostile: every count, length and offset is
 * checked against what is left of the buffer before it is used.
 */
#include "layer_index.h"
#include "layer_priv.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "../common/util.h"
#include "../common/wbuf.h"

static const char magic[8] = "OVLMIDX";	/* with its NUL: 8 bytes */

#define HEADER_SIZE 88
#define HEADER_SIZE_V2 128	/* and the windows part's size and sha256 */
#define CHECKPOINT_V2 54	/* with its window's sha256, without the window */
#define TRAILER_SIZE 32
#define CHECKPOINT_MIN 22	/* a checkpoint without a window */
#define ENTRY_MIN 92		/* an entry with no strings, no xattrs */
#define XATTR_MIN 8
#define FLAG_SEEKABLE 1u
#define EFLAG_SYMLINK 1u	/* the entry has a symlink target */
#define MAX_INDEX_FILE (1ull << 32)

const char *layer_compression_name(enum layer_compression c)
{
	switch (c) {
	case LAYER_PLAIN:
		return "plain";
	case LAYER_GZIP:
		return "gzip";
	case LAYER_ZSTD:
		return "zstd";
	}
	return "unknown";
}

void layer_index_free(struct layer_index *idx)
{
	uint32_t i;

	if (!idx)
		return;
	free(idx->chunk_sha256);
	free(idx->span_sha256);
	if (idx->checkpoints)
		for (i = 0; i < idx->ncheckpoints; i++)
			free(idx->checkpoints[i].window);
	free(idx->checkpoints);
	if (idx->entries)
		for (i = 0; i < idx->nentries; i++)
			layer_entry_clear(&idx->entries[i]);
	free(idx->entries);
	layer_window_src_free(idx->windows, idx->ncheckpoints);
	memset(idx, 0, sizeof(*idx));
}

/* --- encoding --- */

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static int digest_to_raw(const char *digest, uint8_t raw[32])
{
	int i;

	if (strncmp(digest, "sha256:", 7) || strlen(digest) != 7 + 64)
		return -1;
	for (i = 0; i < 32; i++) {
		int hi = hex_digit(digest[7 + 2 * i]), lo = hex_digit(digest[8 + 2 * i]);

		if (hi < 0 || lo < 0)
			return -1;
		raw[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

static void raw_to_digest(const uint8_t raw[32], char *digest)
{
	static const char hex[] = "0123456789abcdef";
	int i;

	memcpy(digest, "sha256:", 7);
	for (i = 0; i < 32; i++) {
		digest[7 + 2 * i] = hex[raw[i] >> 4];
		digest[8 + 2 * i] = hex[raw[i] & 15];
	}
	digest[7 + 64] = '\0';
}

static void put_time(struct wbuf *b, const struct timespec *ts)
{
	wbuf_put_u64(b, (uint64_t)(int64_t)ts->tv_sec);
	wbuf_put_u32(b, (uint32_t)ts->tv_nsec);
}

static void put_str(struct wbuf *b, const char *s)
{
	if (s)
		wbuf_put(b, s, strlen(s));
}

static void put_entry(struct wbuf *b, const struct layer_entry *e)
{
	uint32_t i;

	wbuf_put_u32(b, (uint32_t)e->mode);
	wbuf_put_u32(b, (uint32_t)e->uid);
	wbuf_put_u32(b, (uint32_t)e->gid);
	wbuf_put_u8(b, (uint8_t)e->kind);
	wbuf_put_u8(b, e->link ? EFLAG_SYMLINK : 0);
	wbuf_put_u16(b, 0);
	wbuf_put_u64(b, e->size);
	wbuf_put_u64(b, (uint64_t)e->rdev);
	wbuf_put_u64(b, e->data_off);
	put_time(b, &e->atime);
	put_time(b, &e->mtime);
	put_time(b, &e->ctime);
	wbuf_put_u32(b, strlen(e->path));
	wbuf_put_u32(b, e->link ? strlen(e->link) : 0);
	wbuf_put_u32(b, e->hardlink ? strlen(e->hardlink) : 0);
	wbuf_put_u32(b, e->nxattrs);
	put_str(b, e->path);
	put_str(b, e->link);
	put_str(b, e->hardlink);
	for (i = 0; i < e->nxattrs; i++) {
		wbuf_put_u32(b, strlen(e->xattrs[i].name));
		wbuf_put_u32(b, e->xattrs[i].size);
		put_str(b, e->xattrs[i].name);
		wbuf_put(b, e->xattrs[i].value, e->xattrs[i].size);
	}
}

/* Version 2: a checkpoint with its window's sha256; the window is in the windows part. */
static int put_checkpoint_v2(struct wbuf *b, const struct layer_index *idx,
			     uint32_t i, struct error **err)
{
	const struct layer_checkpoint *cp = &idx->checkpoints[i];
	uint8_t sum[32] = { 0 };
	unsigned int sumlen;
	bool has = cp->window_kind != LAYER_WINDOW_NONE;

	if (has && !EVP_Digest(cp->window, cp->window_len, sum, &sumlen,
			       EVP_sha256(), NULL))
		return error_set(err, 0, "index: sha256 failed");
	wbuf_put_u64(b, cp->in_off);
	wbuf_put_u64(b, cp->out_off);
	wbuf_put_u8(b, cp->in_bits);
	wbuf_put_u8(b, has ? cp->window_kind : LAYER_WINDOW_NONE);
	wbuf_put_u32(b, has ? cp->window_len : 0);
	wbuf_put(b, sum, sizeof(sum));
	return 0;
}

/*
 * VERSION 1: everything in HEAD. 2: the windows in WIN, and the header
 * says how large WIN is. HEAD gets its trailer.
 */
static int encode(const struct layer_index *idx, uint32_t version,
		  struct wbuf *head, struct wbuf *win, struct error **err)
{
	struct wbuf *b = head;
	uint8_t raw[32], sum[32], wsum[32];
	unsigned int sumlen;
	uint32_t i;

	if (digest_to_raw(idx->digest, raw) < 0)
		return error_set(err, EINVAL, "index: bad digest \"%.80s\"", idx->digest);
	for (i = 0; i < idx->ncheckpoints; i++) {
		const struct layer_checkpoint *cp = &idx->checkpoints[i];

		/* an index read as a head alone cannot be written whole */
		if (cp->window_kind != LAYER_WINDOW_NONE && !cp->window)
			return error_set(err, EINVAL, "index of layer %s: checkpoint %"
					 PRIu32 ": window not in memory", idx->digest, i);
		/* version 2: the windows part first, its sha256 goes in the header */
		if (win && cp->window_kind != LAYER_WINDOW_NONE)
			wbuf_put(win, cp->window, cp->window_len);
	}
	if (win && (win->oom || !EVP_Digest(win->p ? win->p : (uint8_t *)"", win->len,
					    wsum, &sumlen, EVP_sha256(), NULL)))
		return error_set(err, win->oom ? ENOMEM : 0, "index: windows");
	wbuf_put(b, magic, sizeof(magic));
	wbuf_put_u32(b, version);
	wbuf_put_u8(b, idx->compression);
	wbuf_put_u8(b, idx->seekable ? FLAG_SEEKABLE : 0);
	wbuf_put_u16(b, 0);
	wbuf_put_u32(b, idx->chunk_size);
	wbuf_put_u32(b, idx->ncheckpoints);
	wbuf_put_u64(b, idx->compressed_size);
	wbuf_put_u64(b, idx->uncompressed_size);
	wbuf_put_u64(b, idx->nchunks);
	wbuf_put_u32(b, idx->nentries);
	wbuf_put_u32(b, idx->rejected);
	wbuf_put(b, raw, 32);
	if (version == LAYER_INDEX_VERSION_SPLIT) {
		wbuf_put_u64(b, win->len);
		wbuf_put(b, wsum, sizeof(wsum));
	}
	if (idx->nchunks)
		wbuf_put(b, idx->chunk_sha256, idx->nchunks * 32);
	for (i = 0; i < idx->ncheckpoints; i++) {
		const struct layer_checkpoint *cp = &idx->checkpoints[i];

		if (version == LAYER_INDEX_VERSION_SPLIT) {
			if (put_checkpoint_v2(b, idx, i, err) < 0)
				return -1;
			continue;
		}
		wbuf_put_u64(b, cp->in_off);
		wbuf_put_u64(b, cp->out_off);
		wbuf_put_u8(b, cp->in_bits);
		/* kept as stored: written as they are */
		wbuf_put_u8(b, cp->window ? cp->window_kind : LAYER_WINDOW_NONE);
		wbuf_put_u32(b, cp->window ? cp->window_len : 0);
		if (cp->window)
			wbuf_put(b, cp->window, cp->window_len);
	}
	for (i = 0; i < idx->nentries; i++)
		put_entry(b, &idx->entries[i]);
	if (b->oom || (win && win->oom))
		return error_set(err, ENOMEM, "index: encode");
	if (!EVP_Digest(b->p, b->len, sum, &sumlen, EVP_sha256(), NULL))
		return error_set(err, 0, "index: sha256 failed");
	wbuf_put(b, sum, sizeof(sum));
	if (b->oom)
		return error_set(err, ENOMEM, "index: encode");
	return 0;
}

int layer_index_encode(const struct layer_index *idx, int fd,
		       struct error **err)
{
	struct wbuf b = { 0 };
	int ret = encode(idx, LAYER_INDEX_VERSION, &b, NULL, err);

	if (!ret && write_all(fd, b.p, b.len) < 0)
		ret = error_set(err, errno, "index: write");
	free(b.p);
	return ret;
}

int layer_index_encode_split(const struct layer_index *idx, uint8_t **head,
			     size_t *head_len, uint8_t **windows,
			     size_t *windows_len, struct error **err)
{
	struct wbuf h = { 0 }, w = { 0 };

	*head = *windows = NULL;
	if (encode(idx, LAYER_INDEX_VERSION_SPLIT, &h, &w, err) < 0) {
		free(h.p);
		free(w.p);
		return -1;
	}
	/* an index without windows has an empty windows part */
	*head = h.p;
	*head_len = h.len;
	*windows = w.p;
	*windows_len = w.len;
	return 0;
}

int layer_index_encode_v2(const struct layer_index *idx, int fd,
			  struct error **err)
{
	uint8_t *head, *win;
	size_t hlen, wlen;
	int ret = 0;

	if (layer_index_encode_split(idx, &head, &hlen, &win, &wlen, err) < 0)
		return -1;
	if (write_all(fd, head, hlen) < 0 || (wlen && write_all(fd, win, wlen) < 0))
		ret = error_set(err, errno, "index: write");
	free(head);
	free(win);
	return ret;
}

/* --- decoding --- */

struct rbuf {
	const uint8_t *p;
	size_t len, pos;	/* len excludes the trailer */
	uint64_t wpos;		/* version 2: windows part so far */
};

static size_t left(const struct rbuf *r)
{
	return r->len - r->pos;
}

/* Callers check left() first: these never read past the end. */
static uint64_t get_le(struct rbuf *r, unsigned bytes)
{
	uint64_t v = 0;
	unsigned i;

	for (i = 0; i < bytes; i++)
		v |= (uint64_t)r->p[r->pos + i] << (8 * i);
	r->pos += bytes;
	return v;
}

#define get_u8(r) ((uint8_t)get_le(r, 1))
#define get_u16(r) ((uint16_t)get_le(r, 2))
#define get_u32(r) ((uint32_t)get_le(r, 4))
#define get_u64(r) get_le(r, 8)

static int decode_header(struct rbuf *r, struct layer_index *idx,
			 struct error **err)
{
	uint8_t raw[32];
	uint32_t version;
	uint8_t comp, flags;
	uint64_t want;

	if (memcmp(r->p, magic, sizeof(magic)))
		return error_set(err, 0, "index: not an ovlmig layer index (bad magic)");
	r->pos = sizeof(magic);
	version = get_u32(r);
	if (version != LAYER_INDEX_VERSION && version != LAYER_INDEX_VERSION_SPLIT)
		return error_set(err, 0, "index: version %" PRIu32 " not supported (only %d and %d)",
				 version, LAYER_INDEX_VERSION, LAYER_INDEX_VERSION_SPLIT);
	idx->version = version;
	comp = get_u8(r);
	flags = get_u8(r);
	if (comp > LAYER_ZSTD)
		return error_set(err, 0, "index: unknown compression %u", comp);
	if (flags & ~FLAG_SEEKABLE)
		return error_set(err, 0, "index: unknown flags 0x%x", flags);
	if (get_u16(r))
		return error_set(err, 0, "index: reserved header field not zero");
	idx->compression = comp;
	idx->seekable = flags & FLAG_SEEKABLE;
	idx->chunk_size = get_u32(r);
	idx->ncheckpoints = get_u32(r);
	idx->compressed_size = get_u64(r);
	idx->uncompressed_size = get_u64(r);
	idx->nchunks = get_u64(r);
	idx->nentries = get_u32(r);
	idx->rejected = get_u32(r);
	memcpy(raw, r->p + r->pos, 32);
	r->pos += 32;
	raw_to_digest(raw, idx->digest);
	if (version == LAYER_INDEX_VERSION_SPLIT) {
		if (left(r) < 8 + 32)
			return error_set(err, 0, "index: header past end of file");
		idx->windows_size = get_u64(r);
		memcpy(idx->windows_sha256, r->p + r->pos, 32);
		r->pos += 32;
	}

	if (idx->chunk_size < LAYER_CHUNK_MIN || idx->chunk_size > LAYER_CHUNK_MAX)
		return error_set(err, 0, "index: chunk size %" PRIu32 " out of range",
				 idx->chunk_size);
	want = idx->compressed_size / idx->chunk_size +
	       (idx->compressed_size % idx->chunk_size != 0);
	if (idx->nchunks != want)
		return error_set(err, 0, "index: %" PRIu64 " chunks for %" PRIu64
				 " bytes in chunks of %" PRIu32 " (want %" PRIu64 ")",
				 idx->nchunks, idx->compressed_size,
				 idx->chunk_size, want);
	if (comp == LAYER_PLAIN &&
	    (idx->compressed_size != idx->uncompressed_size || !idx->seekable))
		return error_set(err, 0, "index: plain layer with different sizes or not seekable");
	if (comp == LAYER_GZIP && !idx->seekable)
		return error_set(err, 0, "index: gzip layer marked not seekable");
	if (comp == LAYER_ZSTD && idx->seekable != (idx->ncheckpoints > 1))
		return error_set(err, 0, "index: zstd seekable flag disagrees with %" PRIu32
				 " checkpoints", idx->ncheckpoints);
	return 0;
}

static int decode_chunks(struct rbuf *r, struct layer_index *idx,
			 struct error **err)
{
	if (idx->nchunks > left(r) / 32)
		return error_set(err, 0, "index: %" PRIu64 " chunk hashes past end of file",
				 idx->nchunks);
	if (!idx->nchunks)
		return 0;
	idx->chunk_sha256 = malloc(idx->nchunks * 32);
	if (!idx->chunk_sha256)
		return error_set(err, ENOMEM, "index: chunk hashes");
	memcpy(idx->chunk_sha256, r->p + r->pos, idx->nchunks * 32);
	r->pos += idx->nchunks * 32;
	return 0;
}

static int check_window_len(uint32_t i, uint8_t kind, uint32_t len,
			    struct error **err)
{
	if (kind == LAYER_WINDOW_RAW && len != LAYER_WINDOW_SIZE)
		return error_set(err, 0, "index: checkpoint %" PRIu32 ": raw window of %" PRIu32
				 " bytes", i, len);
	if (kind == LAYER_WINDOW_ZLIB &&
	    (len == 0 || len > compressBound(LAYER_WINDOW_SIZE)))
		return error_set(err, 0, "index: checkpoint %" PRIu32 ": compressed window of %" PRIu32
				 " bytes", i, len);
	return 0;
}

/* Copied as stored: windows are inflated only by a read (layer_window.c). */
static int decode_window(struct rbuf *r, uint32_t i, uint8_t kind,
			 uint32_t len, struct layer_checkpoint *cp,
			 struct error **err)
{
	if (len > left(r))
		return error_set(err, 0, "index: checkpoint %" PRIu32 ": window length %" PRIu32
				 " past end of file", i, len);
	if (check_window_len(i, kind, len, err) < 0)
		return -1;
	cp->window = malloc(len);
	if (!cp->window)
		return error_set(err, ENOMEM, "index: window");
	memcpy(cp->window, r->p + r->pos, len);
	cp->window_kind = kind;
	cp->window_len = len;
	r->pos += len;
	return 0;
}

static int decode_checkpoint(struct rbuf *r, struct layer_index *idx,
			     uint32_t i, struct error **err)
{
	struct layer_checkpoint *cp = &idx->checkpoints[i];
	const struct layer_checkpoint *prev = i ? cp - 1 : NULL;
	bool v2 = idx->version == LAYER_INDEX_VERSION_SPLIT;
	static const uint8_t zeros[32];
	uint8_t kind;
	uint32_t wlen;

	if (left(r) < (v2 ? CHECKPOINT_V2 : CHECKPOINT_MIN))
		return error_set(err, 0, "index: checkpoint %" PRIu32 " past end of file", i);
	cp->in_off = get_u64(r);
	cp->out_off = get_u64(r);
	cp->in_bits = get_u8(r);
	kind = get_u8(r);
	wlen = get_u32(r);
	if (v2) {
		memcpy(cp->window_sha256, r->p + r->pos, 32);
		r->pos += 32;
		if (kind == LAYER_WINDOW_NONE && memcmp(cp->window_sha256, zeros, 32))
			return error_set(err, 0, "index: checkpoint %" PRIu32
					 ": window digest without a window", i);
	}
	if (cp->in_off > idx->compressed_size || cp->out_off > idx->uncompressed_size)
		return error_set(err, 0, "index: checkpoint %" PRIu32 " past the end of the layer", i);
	if (!prev && (cp->in_off || cp->out_off))
		return error_set(err, 0, "index: first checkpoint not at 0");
	if (prev && (cp->out_off <= prev->out_off || cp->in_off < prev->in_off))
		return error_set(err, 0, "index: checkpoint %" PRIu32 " out of order", i);
	if (cp->in_bits > 7 || (cp->in_bits && (kind == LAYER_WINDOW_NONE || !cp->in_off)))
		return error_set(err, 0, "index: checkpoint %" PRIu32 ": bad bit offset %u",
				 i, cp->in_bits);
	if (kind > LAYER_WINDOW_ZLIB ||
	    (kind != LAYER_WINDOW_NONE && idx->compression != LAYER_GZIP) ||
	    (kind == LAYER_WINDOW_NONE && wlen))
		return error_set(err, 0, "index: checkpoint %" PRIu32 ": bad window", i);
	/* plain layers read directly: one checkpoint at 0 */
	if (idx->compression == LAYER_PLAIN && i)
		return error_set(err, 0, "index: plain layer with checkpoints");
	if (kind == LAYER_WINDOW_NONE)
		return 0;
	/*
	 * A window is 32 KiB once inflated: at most one per
	 * LAYER_WINDOW_GAP_MIN compressed bytes, as a real layer has them.
	 */
	if (prev && cp->in_off - prev->in_off < LAYER_WINDOW_GAP_MIN)
		return error_set(err, 0, "index: checkpoint %" PRIu32 ": window %" PRIu64
				 " compressed bytes after the previous checkpoint"
				 " (a layer has at least %u between them)", i,
				 cp->in_off - prev->in_off, LAYER_WINDOW_GAP_MIN);
	if (!v2)
		return decode_window(r, i, kind, wlen, cp, err);
	/* version 2: the window is in the windows part, after those before it */
	if (check_window_len(i, kind, wlen, err) < 0)
		return -1;
	cp->window_kind = kind;
	cp->window_len = wlen;
	cp->window_off = r->wpos;
	r->wpos += wlen;
	if (r->wpos > idx->windows_size)
		return error_set(err, 0, "index: checkpoint %" PRIu32 ": window past the end"
				 " of the windows part (%" PRIu64 " bytes)", i,
				 idx->windows_size);
	return 0;
}

static int decode_checkpoints(struct rbuf *r, struct layer_index *idx,
			      struct error **err)
{
	uint32_t i, n = idx->ncheckpoints;
	size_t min = idx->version == LAYER_INDEX_VERSION_SPLIT ? CHECKPOINT_V2 :
								 CHECKPOINT_MIN;

	if (!n)
		return error_set(err, 0, "index: no checkpoints");
	if (n > left(r) / min)
		return error_set(err, 0, "index: %" PRIu32 " checkpoints past end of file", n);
	idx->checkpoints = calloc(n, sizeof(*idx->checkpoints));
	if (!idx->checkpoints)
		return error_set(err, ENOMEM, "index: checkpoints");
	for (i = 0; i < n; i++)
		if (decode_checkpoint(r, idx, i, err) < 0)
			return -1;
	if (idx->version == LAYER_INDEX_VERSION_SPLIT && r->wpos != idx->windows_size)
		return error_set(err, 0, "index: windows of %" PRIu64 " bytes in a windows part of %"
				 PRIu64, r->wpos, idx->windows_size);
	return 0;
}

static int get_time(struct rbuf *r, struct timespec *ts)
{
	int64_t sec = (int64_t)get_u64(r);
	uint32_t nsec = get_u32(r);

	_Static_assert(sizeof(time_t) == 8, "64-bit time_t");
	if (nsec >= 1000000000u)
		return -1;
	ts->tv_sec = (time_t)sec;
	ts->tv_nsec = (long)nsec;
	return 0;
}

static char *get_str(struct rbuf *r, uint32_t len)
{
	char *s = malloc((size_t)len + 1);

	if (!s)
		return NULL;
	memcpy(s, r->p + r->pos, len);
	s[len] = '\0';
	r->pos += len;
	return s;
}

#define EFAIL(...) error_set(err, 0, "index: entry %" PRIu32 ": " __VA_ARGS__)

/* A cap on xattr bytes passed at entry I: named, since the path is read. */
static int xattr_cap_error(const struct layer_entry *e, uint32_t i,
			   const char *what, uint64_t bytes, uint32_t max,
			   struct error **err)
{
	char *shown = layer_path_printable(e->path);

	error_set(err, 0, "index: entry %" PRIu32 " \"%s\": %s (%" PRIu64
		  " bytes of names and values, at most %" PRIu32 ")", i,
		  shown ? shown : "?", what, bytes, max);
	free(shown);
	return -1;
}

static int decode_xattrs(struct rbuf *r, struct layer_index *idx,
			 struct layer_entry *e, uint32_t i, uint32_t n,
			 struct error **err)
{
	uint64_t total = 0;
	uint32_t k;

	if (n > LAYER_XATTRS_MAX)
		return EFAIL("%" PRIu32 " xattrs, more than %u", i, n, LAYER_XATTRS_MAX);
	if (n > left(r) / XATTR_MIN)
		return EFAIL("%" PRIu32 " xattrs past end of file", i, n);
	if (!n)
		return 0;
	e->xattrs = calloc(n, sizeof(*e->xattrs));
	if (!e->xattrs)
		return error_set(err, ENOMEM, "index: xattrs");
	for (k = 0; k < n; k++) {
		struct layer_xattr *x = &e->xattrs[k];
		uint32_t nlen, vlen;

		if (left(r) < XATTR_MIN)
			return EFAIL("xattr %" PRIu32 " past end of file", i, k);
		nlen = get_u32(r);
		vlen = get_u32(r);
		if (!nlen || nlen > LAYER_XATTR_NAME_MAX || vlen > LAYER_XATTR_SIZE_MAX)
			return EFAIL("xattr %" PRIu32 ": name length %" PRIu32
				     " or value length %" PRIu32 " out of range", i, k, nlen, vlen);
		if ((uint64_t)nlen + vlen > left(r))
			return EFAIL("xattr %" PRIu32 " past end of file", i, k);
		/* the caps hold before anything is copied */
		total += (uint64_t)nlen + vlen;
		if (total > LAYER_XATTR_ENTRY_MAX)
			return xattr_cap_error(e, i, "xattrs larger than 64 KiB",
					       total, LAYER_XATTR_ENTRY_MAX, err);
		if (total > LAYER_XATTR_LAYER_MAX - idx->xattr_bytes)
			return xattr_cap_error(e, i, "the index's xattrs pass 32 MiB in all",
					       idx->xattr_bytes + total,
					       LAYER_XATTR_LAYER_MAX, err);
		if (memchr(r->p + r->pos, '\0', nlen))
			return EFAIL("xattr %" PRIu32 ": NUL in name", i, k);
		x->name = get_str(r, nlen);
		x->value = malloc(vlen ? vlen : 1);
		if (!x->name || !x->value) {
			e->nxattrs = k + 1;
			return error_set(err, ENOMEM, "index: xattrs");
		}
		memcpy(x->value, r->p + r->pos, vlen);
		x->size = vlen;
		r->pos += vlen;
		e->nxattrs = k + 1;
	}
	idx->xattr_bytes += total;
	return 0;
}

/* Fields that need no other entry; strings already read. */
static int check_entry(const struct layer_index *idx, const struct layer_entry *e,
		       uint32_t i, struct error **err)
{
	mode_t type = e->mode & S_IFMT;
	const char *why;

	if (!layer_mode_valid(e->mode))
		return EFAIL("bad mode 0%o", i, (unsigned)e->mode);
	why = layer_path_check(e->path, strlen(e->path));
	if (why)
		return EFAIL("bad name: %s", i, why);
	if (!*e->path && (type != S_IFDIR || e->kind != LAYER_ENTRY_NORMAL))
		return EFAIL("the root is not a directory", i);
	if ((type == S_IFLNK && e->kind == LAYER_ENTRY_NORMAL) != !!e->link)
		return EFAIL("symlink target on a non-symlink or missing", i);
	if (e->link && (!*e->link || strlen(e->link) > LAYER_PATH_MAX))
		return EFAIL("symlink target empty or too long", i);
	if ((type != S_IFCHR && type != S_IFBLK) && e->rdev)
		return EFAIL("device number on a non-device", i);
	if (type == S_IFREG && e->kind == LAYER_ENTRY_NORMAL) {
		if (e->data_off > idx->uncompressed_size ||
		    e->size > idx->uncompressed_size - e->data_off)
			return EFAIL("data (%" PRIu64 " bytes at %" PRIu64
				     ") past the end of the layer", i, e->size,
				     e->data_off);
	} else if (e->size || e->data_off) {
		return EFAIL("data on an entry that is not a regular file", i);
	}
	return 0;
}

static int check_hardlink(const struct layer_entry *entries,
			  const struct layer_paths *paths,
			  const struct layer_entry *e, uint32_t i,
			  struct error **err)
{
	const char *why = layer_path_check(e->hardlink, strlen(e->hardlink));
	int64_t t;

	if (why || !*e->hardlink)
		return EFAIL("bad hardlink target: %s", i, why ? why : "the root");
	t = layer_paths_get(paths, entries, e->hardlink);
	if (t < 0)
		return EFAIL("hardlink target is not an earlier entry", i);
	if ((entries[t].mode & S_IFMT) == S_IFDIR ||
	    (entries[t].mode & S_IFMT) != (e->mode & S_IFMT))
		return EFAIL("hardlink to a directory or of another type", i);
	if (!strcmp(e->hardlink, e->path))
		return EFAIL("hardlink to itself", i);
	return 0;
}

static int decode_entry(struct rbuf *r, struct layer_index *idx, uint32_t i,
			struct layer_paths *paths, struct error **err)
{
	struct layer_entry *e = &idx->entries[i];
	uint32_t plen, llen, hlen, nx;
	uint8_t kind, flags;

	if (left(r) < ENTRY_MIN)
		return EFAIL("past end of file", i);
	e->mode = get_u32(r);
	e->uid = get_u32(r);
	e->gid = get_u32(r);
	kind = get_u8(r);
	flags = get_u8(r);
	if (get_u16(r) || kind > LAYER_ENTRY_HARDLINK || (flags & ~EFLAG_SYMLINK))
		return EFAIL("bad kind or flags", i);
	e->kind = kind;
	e->size = get_u64(r);
	e->rdev = (dev_t)get_u64(r);
	e->data_off = get_u64(r);
	if (get_time(r, &e->atime) < 0 || get_time(r, &e->mtime) < 0 ||
	    get_time(r, &e->ctime) < 0)
		return EFAIL("nanoseconds out of range", i);
	plen = get_u32(r);
	llen = get_u32(r);
	hlen = get_u32(r);
	nx = get_u32(r);
	if (plen > left(r))
		return EFAIL("name length %" PRIu32 " past end of file", i, plen);
	if ((uint64_t)plen + llen > left(r))
		return EFAIL("symlink target length %" PRIu32 " past end of file", i, llen);
	if ((uint64_t)plen + llen + hlen > left(r))
		return EFAIL("hardlink target length %" PRIu32 " past end of file", i, hlen);
	if ((llen && !(flags & EFLAG_SYMLINK)) ||
	    (!hlen != (kind == LAYER_ENTRY_NORMAL)))
		return EFAIL("link lengths disagree with the entry kind", i);
	if (memchr(r->p + r->pos, '\0', (size_t)plen + llen + hlen))
		return EFAIL("NUL byte in a name", i);
	e->path = get_str(r, plen);
	if (flags & EFLAG_SYMLINK)
		e->link = get_str(r, llen);
	else
		r->pos += llen;
	if (hlen)
		e->hardlink = get_str(r, hlen);
	if (!e->path || ((flags & EFLAG_SYMLINK) && !e->link) || (hlen && !e->hardlink))
		return error_set(err, ENOMEM, "index: entry %" PRIu32, i);
	if (decode_xattrs(r, idx, e, i, nx, err) < 0 || check_entry(idx, e, i, err) < 0)
		return -1;
	if (e->hardlink && check_hardlink(idx->entries, paths, e, i, err) < 0)
		return -1;
	if (layer_paths_put(paths, idx->entries, i) < 0)
		return error_set(err, errno, "index: entry %" PRIu32, i);
	return 0;
}

static int decode_entries(struct rbuf *r, struct layer_index *idx,
			  struct error **err)
{
	struct layer_paths paths;
	uint32_t i, n = idx->nentries;
	int ret = 0;

	if (n > left(r) / ENTRY_MIN)
		return error_set(err, 0, "index: %" PRIu32 " entries past end of file", n);
	if (!n)
		return 0;
	idx->entries = calloc(n, sizeof(*idx->entries));
	if (!idx->entries)
		return error_set(err, ENOMEM, "index: entries");
	layer_paths_init(&paths);
	for (i = 0; i < n && !ret; i++)
		ret = decode_entry(r, idx, i, &paths, err);
	layer_paths_free(&paths);
	return ret;
}

int layer_entries_check(const struct layer_index *idx, struct error **err)
{
	struct layer_paths paths;
	uint32_t i;
	int ret = 0;

	layer_paths_init(&paths);
	for (i = 0; i < idx->nentries && !ret; i++) {
		const struct layer_entry *e = &idx->entries[i];

		ret = check_entry(idx, e, i, err);
		if (!ret && e->hardlink)
			ret = check_hardlink(idx->entries, &paths, e, i, err);
		if (!ret && layer_paths_put(&paths, idx->entries, i) < 0)
			ret = error_set(err, errno, "index: entry %" PRIu32, i);
	}
	layer_paths_free(&paths);
	return ret;
}

/* Version 2 read whole: each window from WIN, checked against its sha256. */
static int attach_windows(struct layer_index *idx, const uint8_t *win,
			  struct error **err)
{
	uint8_t sum[32];
	unsigned int sumlen;
	uint32_t i;

	/*
	 * windows tile the part exactly (decode_checkpoints): each one
	 * checked is the whole part checked, and names the checkpoint
	 */
	for (i = 0; i < idx->ncheckpoints; i++) {
		struct layer_checkpoint *cp = &idx->checkpoints[i];

		if (cp->window_kind == LAYER_WINDOW_NONE)
			continue;
		/* decode_checkpoints: every window within windows_size */
		if (!EVP_Digest(win + cp->window_off, cp->window_len, sum, &sumlen,
				EVP_sha256(), NULL))
			return error_set(err, 0, "index: sha256 failed");
		if (memcmp(sum, cp->window_sha256, 32))
			return error_set(err, 0, "index: checkpoint %" PRIu32
					 ": window does not match its sha256", i);
		cp->window = malloc(cp->window_len);
		if (!cp->window)
			return error_set(err, ENOMEM, "index: window");
		memcpy(cp->window, win + cp->window_off, cp->window_len);
	}
	return 0;
}

/*
 * HEAD_LEN bytes of BUF: version 1 whole, or a version 2 head, followed
 * by its windows part (WIN) or alone (WIN NULL: the windows stay lazy).
 */
static int decode(const uint8_t *buf, size_t head_len, const uint8_t *win,
		  bool head_alone, struct layer_index *out, struct error **err)
{
	struct rbuf r = { buf, 0, 0, 0 };
	bool v2 = win || head_alone;
	uint8_t sum[32];
	unsigned int sumlen;

	if (head_len < (v2 ? HEADER_SIZE_V2 : HEADER_SIZE) + TRAILER_SIZE)
		return error_set(err, 0, "index: file of %zu bytes is too short", head_len);
	r.len = head_len - TRAILER_SIZE;
	if (!EVP_Digest(buf, r.len, sum, &sumlen, EVP_sha256(), NULL))
		return error_set(err, 0, "index: sha256 failed");
	if (memcmp(sum, r.p + r.len, 32)) {
		/* a bad magic is the more useful message for a wrong file */
		if (memcmp(buf, magic, sizeof(magic)))
			return error_set(err, 0, "index: not an ovlmig layer index (bad magic)");
		return error_set(err, 0, "index: checksum mismatch (corrupt file)");
	}
	if (decode_header(&r, out, err) < 0)
		goto fail;
	if (v2 != (out->version == LAYER_INDEX_VERSION_SPLIT)) {
		error_set(err, 0, "index: version %" PRIu32 " where %d was expected",
			  out->version, v2 ? LAYER_INDEX_VERSION_SPLIT : LAYER_INDEX_VERSION);
		goto fail;
	}
	if (decode_chunks(&r, out, err) < 0 ||
	    decode_checkpoints(&r, out, err) < 0 ||
	    decode_entries(&r, out, err) < 0)
		goto fail;
	if (left(&r)) {
		error_set(err, 0, "index: %zu unexpected bytes after the entries", left(&r));
		goto fail;
	}
	if (win && attach_windows(out, win, err) < 0)
		goto fail;
	return 0;
fail:
	layer_index_free(out);
	return -1;
}

int layer_index_decode(const void *buf, size_t len, struct layer_index *out,
		       struct error **err)
{
	const uint8_t *p = buf;
	uint64_t wsize = 0;
	unsigned i;

	memset(out, 0, sizeof(*out));
	if (len < HEADER_SIZE + TRAILER_SIZE)
		return error_set(err, 0, "index: file of %zu bytes is too short", len);
	if (memcmp(p, magic, sizeof(magic)) || p[8] != LAYER_INDEX_VERSION_SPLIT ||
	    p[9] || p[10] || p[11])
		return decode(p, len, NULL, false, out, err);
	/* version 2 in one file: the head, then the windows part */
	if (len < HEADER_SIZE_V2 + TRAILER_SIZE)
		return error_set(err, 0, "index: file of %zu bytes is too short", len);
	for (i = 0; i < 8; i++)
		wsize |= (uint64_t)p[HEADER_SIZE + i] << (8 * i);
	if (wsize > len - (HEADER_SIZE_V2 + TRAILER_SIZE))
		return error_set(err, 0, "index: windows part of %" PRIu64
				 " bytes past end of file", wsize);
	return decode(p, len - (size_t)wsize, p + len - wsize, false, out, err);
}

int layer_index_decode_head(const void *buf, size_t len,
			    struct layer_index *out, struct error **err)
{
	memset(out, 0, sizeof(*out));
	return decode(buf, len, NULL, true, out, err);
}

int layer_index_load(const char *path, struct layer_index *out,
		     struct error **err)
{
	struct stat st;
	uint8_t *buf = NULL;
	ssize_t n;
	int fd, ret = -1;

	memset(out, 0, sizeof(*out));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return error_set(err, errno, "open %s", path);
	if (fstat(fd, &st) < 0) {
		error_set(err, errno, "stat %s", path);
		goto out;
	}
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size > MAX_INDEX_FILE) {
		error_set(err, 0, "%s: not a regular file or too large for an index", path);
		goto out;
	}
	buf = malloc(st.st_size ? (size_t)st.st_size : 1);
	if (!buf) {
		error_set(err, ENOMEM, "read %s", path);
		goto out;
	}
	n = read_full(fd, buf, (size_t)st.st_size);
	if (n < 0) {
		error_set(err, errno, "read %s", path);
		goto out;
	}
	if (n != st.st_size) {
		error_set(err, 0, "read %s: file changed while reading", path);
		goto out;
	}
	ret = layer_index_decode(buf, (size_t)n, out, err);
	if (ret < 0)
		error_wrap(err, "%s", path);
out:
	free(buf);
	close(fd);
	return ret;
}
