// SPDX-License-Identifier: MIT
/*
 * A layer's seekable companion, written and checked (companion.h).
 *
 * The writer reads the layer through layer_stream (the decompressing,
 * hashing reader under layer_index_build: the layer's own checks, its
 * digest computed on the way) and feeds the tar stream to one zstd
 * context, ending the frame at every cut: each regular file's data start
 * (from the layer's index) and every COMPANION_FRAME_MAX bytes since the
 * frame began. Each frame is independent (zstd frames are), so a read can
 * start at any of them; the frame before a file's data also holds the
 * headers before it.
 */
#include "companion.h"
#include "layer_priv.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include "../common/util.h"

struct cwriter {
	ZSTD_CCtx *cctx;
	int out;
	uint8_t *obuf;
	size_t olen;
	uint64_t pos;		/* uncompressed bytes taken so far */
	uint64_t frame_start;	/* where the current frame began */
	uint64_t *cuts;		/* ascending: where a frame must begin */
	size_t ncuts, k;
};

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Each regular file's data start, ascending. */
static int cuts_of(const struct layer_index *idx, struct cwriter *w,
		   struct error **err)
{
	w->cuts = calloc(idx->nentries ? idx->nentries : 1, sizeof(*w->cuts));
	if (!w->cuts)
		return error_set(err, ENOMEM, "companion: cuts");
	for (uint32_t i = 0; i < idx->nentries; i++) {
		const struct layer_entry *e = &idx->entries[i];

		if (S_ISREG(e->mode) && e->kind == LAYER_ENTRY_NORMAL && e->size)
			w->cuts[w->ncuts++] = e->data_off;
	}
	qsort(w->cuts, w->ncuts, sizeof(*w->cuts), cmp_u64);
	return 0;
}

/* Compress IN (END: and end the frame), writing what comes out. */
static int emit(struct cwriter *w, const void *buf, size_t len,
		ZSTD_EndDirective end, struct error **err)
{
	ZSTD_inBuffer in = { buf, len, 0 };
	size_t left;

	do {
		ZSTD_outBuffer o = { w->obuf, w->olen, 0 };

		left = ZSTD_compressStream2(w->cctx, &o, &in, end);
		if (ZSTD_isError(left))
			return error_set_msg(err, EIO, "companion: zstd: %s",
					     ZSTD_getErrorName(left));
		if (o.pos && write_all(w->out, w->obuf, o.pos) < 0)
			return error_set(err, errno, "companion: write");
	} while (in.pos < in.size || (end == ZSTD_e_end && left));
	return 0;
}

/* Take LEN bytes of the tar stream, a frame ended at each cut. */
static int take(void *arg, const uint8_t *p, size_t len, struct error **err)
{
	struct cwriter *w = arg;

	while (len) {
		uint64_t until, n;

		while (w->k < w->ncuts && w->cuts[w->k] <= w->frame_start)
			w->k++;
		until = w->frame_start + COMPANION_FRAME_MAX;
		if (w->k < w->ncuts && w->cuts[w->k] < until)
			until = w->cuts[w->k];
		if (w->pos == until) {
			if (emit(w, NULL, 0, ZSTD_e_end, err) < 0)
				return -1;
			w->frame_start = w->pos;
			continue;
		}
		n = until - w->pos < len ? until - w->pos : len;
		if (emit(w, p, (size_t)n, ZSTD_e_continue, err) < 0)
			return -1;
		w->pos += n;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Every byte of the uncompressed stream S, into the running SHA and to
 * FEED(ARG, ...), then S's own end checks (layer_stream_finish).
 */
static int consume(struct layer_stream *s, struct sha256_stream *sha,
		   int (*feed)(void *arg, const uint8_t *p, size_t len,
			       struct error **err),
		   void *arg, struct error **err)
{
	for (;;) {
		const void *buf;
		size_t len;

		if (layer_stream_read(s, &buf, &len, err) < 0)
			return -1;
		if (!len)
			break;
		if (sha256_stream_update(sha, buf, len) < 0)
			return error_set(err, EIO, "companion: sha256");
		if (feed(arg, buf, len, err) < 0)
			return -1;
	}
	return layer_stream_finish(s, err);
}

int companion_write(layer_stream_fn next, void *ctx,
		    const struct layer_index *idx, int level, int out,
		    char uncompressed[DIGEST_STRLEN + 1], struct error **err)
{
	struct cwriter w = { .out = out };
	struct layer_index scratch = { 0 };
	struct layer_stream *s = NULL;
	struct sha256_stream *sha = sha256_stream_new();
	uint8_t md[32];
	int ret = -1;

	uncompressed[0] = '\0';
	if (level < 0 || level > 19)
		return error_set_msg(err, EINVAL, "companion: zstd level %d (1 to 19)", level);
	w.cctx = ZSTD_createCCtx();
	w.olen = ZSTD_CStreamOutSize();
	w.obuf = malloc(w.olen);
	if (!sha || !w.cctx || !w.obuf) {
		error_set(err, ENOMEM, "companion");
		goto out;
	}
	if (ZSTD_isError(ZSTD_CCtx_setParameter(w.cctx, ZSTD_c_compressionLevel,
						 level ? level : COMPANION_LEVEL)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(w.cctx, ZSTD_c_checksumFlag, 1))) {
		error_set_msg(err, EINVAL, "companion: zstd parameters");
		goto out;
	}
	if (cuts_of(idx, &w, err) < 0 ||
	    layer_stream_open(next, ctx, idx->chunk_size ? idx->chunk_size :
			      LAYER_CHUNK_SIZE_DEFAULT, LAYER_CHECKPOINT_SPAN,
			      &scratch, &s, err) < 0)
		goto out;
	if (consume(s, sha, take, &w, err) < 0)
		goto out;
	if (strcmp(scratch.digest, idx->digest) ||
	    scratch.compressed_size != idx->compressed_size ||
	    w.pos != scratch.uncompressed_size) {
		error_set_msg(err, EINVAL, "companion: read layer %s (%" PRIu64
			      " bytes), not the indexed %s (%" PRIu64 ")",
			      scratch.digest, scratch.compressed_size,
			      idx->digest, idx->compressed_size);
		goto out;
	}
	if (w.pos > w.frame_start && emit(&w, NULL, 0, ZSTD_e_end, err) < 0)
		goto out;
	if (sha256_stream_final(sha, md) < 0) {
		error_set(err, EIO, "companion: sha256");
		goto out;
	}
	memcpy(uncompressed, DIGEST_PREFIX, 7);
	sha256_hex(md, uncompressed + 7);
	ret = 0;
out:
	layer_stream_free(s);
	layer_index_free(&scratch);
	sha256_stream_free(sha);
	ZSTD_freeCCtx(w.cctx);
	free(w.obuf);
	free(w.cuts);
	return ret;
}

/* ---- checks ---- */

static bool same_str(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

static bool same_time(struct timespec a, struct timespec b)
{
	return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

static const char *entry_diff(const struct layer_entry *a,
			      const struct layer_entry *b)
{
	if (strcmp(a->path, b->path))
		return "path";
	if (a->kind != b->kind || a->mode != b->mode)
		return "type or mode";
	if (a->uid != b->uid || a->gid != b->gid)
		return "owner";
	if (a->size != b->size || a->data_off != b->data_off)
		return "size or data offset";
	if (!same_str(a->link, b->link) || !same_str(a->hardlink, b->hardlink))
		return "link target";
	if (a->rdev != b->rdev)
		return "device";
	if (!same_time(a->mtime, b->mtime) || !same_time(a->atime, b->atime) ||
	    !same_time(a->ctime, b->ctime))
		return "times";
	if (a->nxattrs != b->nxattrs)
		return "xattrs";
	for (uint32_t x = 0; x < a->nxattrs; x++)
		if (strcmp(a->xattrs[x].name, b->xattrs[x].name) ||
		    a->xattrs[x].size != b->xattrs[x].size ||
		    memcmp(a->xattrs[x].value, b->xattrs[x].value, a->xattrs[x].size))
			return "xattrs";
	return NULL;
}

int companion_entries_equal(const struct layer_index *idx,
			    const struct layer_index *comp, struct error **err)
{
	if (idx->nentries != comp->nentries || idx->rejected != comp->rejected ||
	    idx->uncompressed_size != comp->uncompressed_size)
		return error_set_msg(err, EINVAL,
				     "companion: %" PRIu32 " entries (%" PRIu32 " rejected) in %" PRIu64
				     " bytes, the layer %" PRIu32 " (%" PRIu32 ") in %" PRIu64,
				     comp->nentries, comp->rejected, comp->uncompressed_size,
				     idx->nentries, idx->rejected, idx->uncompressed_size);
	for (uint32_t i = 0; i < idx->nentries; i++) {
		const char *why = entry_diff(&idx->entries[i], &comp->entries[i]);

		if (why)
			return error_set_msg(err, EINVAL,
					     "companion: entry %" PRIu32 " (\"%.100s\"): %s differs from the layer's",
					     i, idx->entries[i].path, why);
	}
	return 0;
}

/* The sha256 of each span, fed the uncompressed stream in order. */
struct span_hashes {
	const struct layer_index *comp;
	struct sha256_stream *sha;
	uint8_t (*out)[32];
	uint32_t k;		/* the span being hashed */
	uint64_t pos;
};

static uint64_t span_end(const struct layer_index *c, uint32_t k)
{
	return k + 1 < c->ncheckpoints ? c->checkpoints[k + 1].out_off : c->uncompressed_size;
}

static int span_feed(void *arg, const uint8_t *p, size_t len,
		     struct error **err)
{
	struct span_hashes *h = arg;

	while (len) {
		uint64_t end = span_end(h->comp, h->k), n;

		if (h->k >= h->comp->ncheckpoints || end < h->pos)
			return error_set_msg(err, EINVAL, "companion: data past its last span");
		n = end - h->pos < len ? end - h->pos : len;
		if (sha256_stream_update(h->sha, p, (size_t)n) < 0)
			return error_set(err, EIO, "companion: sha256");
		h->pos += n;
		p += n;
		len -= (size_t)n;
		if (h->pos == end) {
			if (sha256_stream_final(h->sha, h->out[h->k]) < 0 ||
			    sha256_stream_reset(h->sha) < 0)
				return error_set(err, EIO, "companion: sha256");
			h->k++;
		}
	}
	return 0;
}

int companion_verify(int fd, const struct layer_index *idx,
		     const struct layer_index *comp, const char *uncompressed,
		     uint8_t (**spans)[32], struct error **err)
{
	struct layer_index scratch = { 0 };
	struct layer_stream *s = NULL;
	struct sha256_stream *sha = sha256_stream_new();
	struct span_hashes h = { .comp = comp, .sha = sha256_stream_new() };
	char got[DIGEST_STRLEN + 1];
	uint8_t md[32];
	struct stat st;
	int ret = -1;

	*spans = NULL;
	h.out = calloc(comp->ncheckpoints ? comp->ncheckpoints : 1, sizeof(*h.out));
	if (!sha || !h.sha || !h.out) {
		error_set(err, ENOMEM, "companion");
		goto out;
	}
	if (fstat(fd, &st) < 0 || lseek(fd, 0, SEEK_SET) < 0) {
		error_set(err, errno, "companion: file");
		goto out;
	}
	if (comp->compression != LAYER_ZSTD || !comp->seekable ||
	    comp->compressed_size != (uint64_t)st.st_size) {
		error_set_msg(err, EINVAL, "companion: its index is not of a seekable zstd file of %lld bytes",
			      (long long)st.st_size);
		goto out;
	}
	if (companion_entries_equal(idx, comp, err) < 0)
		goto out;
	if (!comp->ncheckpoints || comp->checkpoints[0].out_off) {
		error_set_msg(err, EINVAL, "companion: its first frame is not at its start");
		goto out;
	}
	if (layer_stream_open(layer_fd_next, &fd, comp->chunk_size, LAYER_CHECKPOINT_SPAN,
			      &scratch, &s, err) < 0)
		goto out;
	if (consume(s, sha, span_feed, &h, err) < 0)
		goto out;
	if (h.k != comp->ncheckpoints) {
		error_set_msg(err, EINVAL, "companion: %" PRIu32 " of %" PRIu32 " spans hashed",
			      h.k, comp->ncheckpoints);
		goto out;
	}
	if (sha256_stream_final(sha, md) < 0) {
		error_set(err, EIO, "companion: sha256");
		goto out;
	}
	memcpy(got, DIGEST_PREFIX, 7);
	sha256_hex(md, got + 7);
	if (strcmp(got, uncompressed) || strcmp(scratch.digest, comp->digest)) {
		error_set_msg(err, EINVAL, "companion: decompresses to %s, not the layer's %s",
			      got, uncompressed);
		goto out;
	}
	*spans = h.out;
	h.out = NULL;
	ret = 0;
out:
	layer_stream_free(s);
	layer_index_free(&scratch);
	sha256_stream_free(sha);
	sha256_stream_free(h.sha);
	free(h.out);
	return ret;
}
