// SPDX-License-Identifier: MIT
/*
 * Index format version 2 (docs/INDEX.md): the head and the windows apart.
 * A gzip layer of a few files with windows every 128 KiB is indexed,
 * encoded as version 2 (one file, and head and windows apart), decoded
 * back, read through a head alone whose windows come from a reader that
 * counts its calls; truncated files and a flipped window byte fail
 * cleanly; version 1 files are still decoded.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <inttypes.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "mem_buf.h"
#include "../../image/layer_index.h"

#define CHUNK (64u << 10)
#define SPAN (128u << 10)
#define NFILES 3
#define FILE_SIZE (700u << 10)


static struct fixture {
	uint8_t *data[NFILES];	/* the files' contents */
	struct buf layer;	/* gzip'd tar */
	struct layer_index idx;	/* built from it */
} fx;


/* Text-like bytes: deflate makes real windows of them (not all zeros). */
static uint8_t *file_bytes(unsigned seed)
{
	uint8_t *p = malloc(FILE_SIZE);
	uint32_t x = 2463534242u + seed;
	size_t i;

	assert_non_null(p);
	for (i = 0; i < FILE_SIZE; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = (uint8_t)("abcdefgh ijklmnop\nqrstuvwxyz0123"[x % 32]);
	}
	return p;
}

static void gzip(struct buf *out, const struct buf *in)
{
	z_stream z = { 0 };
	uint8_t tmp[65536];
	int ret;

	assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY), Z_OK);
	z.next_in = in->p;
	z.avail_in = (uInt)in->len;
	do {
		z.next_out = tmp;
		z.avail_out = sizeof(tmp);
		ret = deflate(&z, Z_FINISH);
		assert_true(ret == Z_OK || ret == Z_STREAM_END || ret == Z_BUF_ERROR);
		buf_add(out, tmp, sizeof(tmp) - z.avail_out);
	} while (ret != Z_STREAM_END);
	deflateEnd(&z);
}

struct mem_stream {
	const uint8_t *p;
	size_t len, pos;
};

static ssize_t mem_next(void *ctx, void *buf, size_t len, struct error **err)
{
	struct mem_stream *m = ctx;
	size_t n = m->len - m->pos < len ? m->len - m->pos : len;

	(void)err;
	memcpy(buf, m->p + m->pos, n);
	m->pos += n;
	return (ssize_t)n;
}

/* A random-access reader over memory that counts its calls and bytes. */
struct mem_at {
	const uint8_t *p;
	size_t len;
	unsigned calls;
	uint64_t bytes;
};

static int mem_read_at(void *ctx, uint64_t off, void *buf, size_t len,
		       struct error **err)
{
	struct mem_at *m = ctx;

	if (off > m->len || len > m->len - off)
		return error_set(err, EIO, "read past the end");
	memcpy(buf, m->p + off, len);
	m->calls++;
	m->bytes += len;
	return 0;
}

static int buf_sink(void *ctx, const void *p, size_t n, struct error **err)
{
	(void)err;
	buf_add(ctx, p, n);
	return 0;
}

static int setup(void **state)
{
	struct archive *a = archive_write_new();
	struct archive_entry *e = archive_entry_new();
	struct buf tar = { 0 };
	struct mem_stream m;
	struct error *err = NULL;
	char name[16];
	unsigned i;

	(void)state;
	assert_int_equal(archive_write_set_format_pax_restricted(a), ARCHIVE_OK);
	assert_int_equal(archive_write_open(a, &tar, NULL, buf_archive_write, NULL), ARCHIVE_OK);
	for (i = 0; i < NFILES; i++) {
		fx.data[i] = file_bytes(i);
		snprintf(name, sizeof(name), "f%u", i);
		archive_entry_clear(e);
		archive_entry_set_pathname(e, name);
		archive_entry_set_mode(e, S_IFREG | 0644);
		archive_entry_set_size(e, FILE_SIZE);
		assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
		assert_int_equal(archive_write_data(a, fx.data[i], FILE_SIZE),
				 (la_ssize_t)FILE_SIZE);
	}
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
	archive_entry_free(e);
	gzip(&fx.layer, &tar);
	free(tar.p);
	m = (struct mem_stream){ fx.layer.p, fx.layer.len, 0 };
	assert_int_equal(layer_index_build_spaced(mem_next, &m, CHUNK, SPAN, &fx.idx,
						  &err), 0);
	return 0;
}

static int teardown(void **state)
{
	unsigned i;

	(void)state;
	layer_index_free(&fx.idx);
	free(fx.layer.p);
	for (i = 0; i < NFILES; i++)
		free(fx.data[i]);
	return 0;
}

static unsigned nwindows(const struct layer_index *idx)
{
	unsigned i, n = 0;

	for (i = 0; i < idx->ncheckpoints; i++)
		n += idx->checkpoints[i].window_kind != LAYER_WINDOW_NONE;
	return n;
}

/* Version 2 as one file, the way layer_index_encode_v2 writes it. */
static struct buf encode_v2(const struct layer_index *idx)
{
	struct error *err = NULL;
	struct buf out = { 0 };
	int fd = memfd_create("index", 0);
	struct stat st;

	assert_true(fd >= 0);
	assert_int_equal(layer_index_encode_v2(idx, fd, &err), 0);
	assert_int_equal(fstat(fd, &st), 0);
	out.len = (size_t)st.st_size;
	out.p = malloc(out.len);
	assert_non_null(out.p);
	assert_int_equal(pread(fd, out.p, out.len, 0), (ssize_t)out.len);
	close(fd);
	return out;
}

/* File I read whole through IDX from the layer; *got its bytes. */
static int read_file(const struct layer_index *idx, unsigned i, struct buf *got,
		     struct error **err)
{
	struct mem_at m = { fx.layer.p, fx.layer.len, 0, 0 };
	const struct layer_entry *e = &idx->entries[i];

	got->len = 0;
	return layer_read(idx, mem_read_at, &m, e->data_off, e->size, buf_sink,
			  got, err);
}

static void expect_files(const struct layer_index *idx)
{
	struct buf got = { 0 };
	struct error *err = NULL;
	unsigned i;

	assert_int_equal(idx->nentries, NFILES);
	for (i = 0; i < NFILES; i++) {
		if (read_file(idx, i, &got, &err) < 0)
			print_error("read f%u: %s\n", i, err->msg);
		assert_null(err);
		assert_int_equal(got.len, FILE_SIZE);
		assert_memory_equal(got.p, fx.data[i], FILE_SIZE);
	}
	free(got.p);
}

static void test_round_trip(void **state)
{
	struct buf file = encode_v2(&fx.idx);
	uint8_t *head, *win;
	size_t hlen, wlen;
	struct layer_index back;
	struct error *err = NULL;
	uint32_t i;

	(void)state;
	/* real windows, several of them: what the test is about */
	assert_true(nwindows(&fx.idx) >= 8);
	assert_int_equal(layer_index_encode_split(&fx.idx, &head, &hlen, &win, &wlen,
						  &err), 0);
	assert_int_equal(file.len, hlen + wlen);
	assert_memory_equal(file.p, head, hlen);
	assert_memory_equal(file.p + hlen, win, wlen);
	assert_int_equal(layer_index_decode(file.p, file.len, &back, &err), 0);
	assert_int_equal(back.version, 2);
	assert_int_equal(back.windows_size, wlen);
	assert_string_equal(back.digest, fx.idx.digest);
	assert_int_equal(back.ncheckpoints, fx.idx.ncheckpoints);
	for (i = 0; i < back.ncheckpoints; i++) {
		const struct layer_checkpoint *x = &fx.idx.checkpoints[i], *y = &back.checkpoints[i];

		assert_int_equal(x->in_off, y->in_off);
		assert_int_equal(x->out_off, y->out_off);
		assert_int_equal(x->in_bits, y->in_bits);
		assert_int_equal(x->window_kind, y->window_kind);
		assert_int_equal(x->window_len, y->window_len);
		if (x->window_kind != LAYER_WINDOW_NONE)
			assert_memory_equal(x->window, y->window, x->window_len);
	}
	expect_files(&back);
	layer_index_free(&back);
	free(file.p);
	free(head);
	free(win);
}

/* The head alone: windows read one at a time, as reads need them, once. */
static void test_head_alone(void **state)
{
	uint8_t *head, *win;
	size_t hlen, wlen;
	struct layer_index h;
	struct error *err = NULL;
	struct mem_at *wm;
	struct buf got = { 0 };
	uint32_t i, cp = 0;
	unsigned calls;

	(void)state;
	assert_int_equal(layer_index_encode_split(&fx.idx, &head, &hlen, &win, &wlen,
						  &err), 0);
	/* the head is small beside the windows: what a mount fetches */
	assert_true(hlen * 4 < wlen);
	assert_int_equal(layer_index_decode_head(head, hlen, &h, &err), 0);
	for (i = 0; i < h.ncheckpoints; i++)
		assert_null(h.checkpoints[i].window);
	/* with no source, a read that needs a window fails, saying so */
	for (i = 1; i < h.ncheckpoints && !cp; i++)
		if (h.checkpoints[i].window_kind != LAYER_WINDOW_NONE)
			cp = i;
	assert_true(cp > 0);
	{
		struct mem_at m = { fx.layer.p, fx.layer.len, 0, 0 };

		assert_int_equal(layer_read(&h, mem_read_at, &m, h.checkpoints[cp].out_off,
					    100, buf_sink, &got, &err), -1);
		assert_non_null(strstr(err->msg, "no source"));
		error_free(&err);
		assert_int_equal(got.len, 0);
	}
	wm = calloc(1, sizeof(*wm));
	assert_non_null(wm);
	*wm = (struct mem_at){ win, wlen, 0, 0 };
	assert_int_equal(layer_index_set_windows(&h, mem_read_at, wm, NULL, &err), 0);
	/* one read from one checkpoint: its window only */
	{
		struct mem_at m = { fx.layer.p, fx.layer.len, 0, 0 };
		uint64_t off = h.checkpoints[cp].out_off + 10;

		assert_int_equal(layer_read(&h, mem_read_at, &m, off, 1000, buf_sink,
					    &got, &err), 0);
		assert_int_equal(wm->calls, 1);
		assert_int_equal(wm->bytes, h.checkpoints[cp].window_len);
		/* read again: kept, not read again */
		assert_int_equal(layer_read(&h, mem_read_at, &m, off, 1000, buf_sink,
					    &got, &err), 0);
		assert_int_equal(wm->calls, 1);
		assert_int_equal(got.len, 2000);
	}
	/* every file whole: at most one read per window, the data right */
	expect_files(&h);
	calls = wm->calls;
	assert_true(calls <= nwindows(&h));
	assert_true(wm->bytes <= wlen);
	layer_index_free(&h);
	free(wm);
	free(got.p);
	free(head);
	free(win);
}

/*
 * A window fetched ahead (layer_index_fetch_window, what a read's caller
 * runs beside the layer bytes): missing before, kept after, and the read
 * that starts at its checkpoint then asks the source nothing.
 */
static void test_window_ahead(void **state)
{
	uint8_t *head, *win;
	size_t hlen, wlen;
	struct layer_index h;
	struct error *err = NULL;
	struct mem_at wm, m = { fx.layer.p, fx.layer.len, 0, 0 };
	struct buf got = { 0 };
	uint32_t i, cp = 0;

	(void)state;
	assert_int_equal(layer_index_encode_split(&fx.idx, &head, &hlen, &win, &wlen,
						  &err), 0);
	assert_int_equal(layer_index_decode_head(head, hlen, &h, &err), 0);
	for (i = 1; i < h.ncheckpoints && !cp; i++)
		if (h.checkpoints[i].window_kind != LAYER_WINDOW_NONE)
			cp = i;
	assert_true(cp > 0);
	/* no source yet: nothing can be fetched, nothing is missing */
	assert_int_equal(layer_index_window_missing(&h, cp), 0);
	wm = (struct mem_at){ win, wlen, 0, 0 };
	assert_int_equal(layer_index_set_windows(&h, mem_read_at, &wm, NULL, &err), 0);
	assert_int_equal(layer_index_window_missing(&h, cp), 1);
	/* checkpoint 0 has no window; one past the end is none */
	assert_int_equal(layer_index_window_missing(&h, 0), 0);
	assert_int_equal(layer_index_window_missing(&h, h.ncheckpoints), 0);
	assert_int_equal(layer_index_fetch_window(&h, cp, &err), 0);
	assert_int_equal(wm.calls, 1);
	assert_int_equal(wm.bytes, h.checkpoints[cp].window_len);
	assert_int_equal(layer_index_window_missing(&h, cp), 0);
	/* fetched ahead once: neither a second fetch nor the read asks again */
	assert_int_equal(layer_index_fetch_window(&h, cp, &err), 0);
	assert_int_equal(layer_read(&h, mem_read_at, &m, h.checkpoints[cp].out_off + 10,
				    1000, buf_sink, &got, &err), 0);
	assert_int_equal(wm.calls, 1);
	assert_int_equal(got.len, 1000);
	layer_index_free(&h);
	free(got.p);
	free(head);
	free(win);
}

/* A window source whose first answer has a byte flipped, then right ones. */
struct flaky_at {
	struct mem_at m;
	unsigned flips;		/* answers still to spoil */
};

static int flaky_read_at(void *ctx, uint64_t off, void *buf, size_t len,
			 struct error **err)
{
	struct flaky_at *f = ctx;

	if (mem_read_at(&f->m, off, buf, len, err) < 0)
		return -1;
	if (f->flips && len) {
		f->flips--;
		((uint8_t *)buf)[len / 2] ^= 0x20;
	}
	return 0;
}

/*
 * A window spoiled on the way once (a transfer gone wrong) is fetched
 * once more and the read is right; spoiled twice, the read fails.
 */
static void test_window_fetched_again(void **state)
{
	uint8_t *head, *win;
	size_t hlen, wlen;
	struct layer_index h;
	struct error *err = NULL;
	struct flaky_at *fl;
	struct buf got = { 0 };
	uint32_t i, cp = 0;

	(void)state;
	assert_int_equal(layer_index_encode_split(&fx.idx, &head, &hlen, &win, &wlen,
						  &err), 0);
	for (int twice = 0; twice < 2; twice++) {
		struct mem_at m = { fx.layer.p, fx.layer.len, 0, 0 };

		assert_int_equal(layer_index_decode_head(head, hlen, &h, &err), 0);
		for (i = 1, cp = 0; i < h.ncheckpoints && !cp; i++)
			if (h.checkpoints[i].window_kind != LAYER_WINDOW_NONE)
				cp = i;
		assert_true(cp > 0);
		fl = calloc(1, sizeof(*fl));
		assert_non_null(fl);
		*fl = (struct flaky_at){ { win, wlen, 0, 0 }, twice ? 2 : 1 };
		assert_int_equal(layer_index_set_windows(&h, flaky_read_at, fl, free, &err), 0);
		got.len = 0;
		if (!twice) {
			assert_int_equal(layer_read(&h, mem_read_at, &m, h.checkpoints[cp].out_off,
						    1000, buf_sink, &got, &err), 0);
			struct buf ref = { 0 };
			struct mem_at m2 = { fx.layer.p, fx.layer.len, 0, 0 };

			assert_int_equal(fl->m.calls, 2);
			assert_int_equal(got.len, 1000);
			/* what the whole index (windows in memory) reads there */
			assert_int_equal(layer_read(&fx.idx, mem_read_at, &m2, h.checkpoints[cp].out_off,
						    1000, buf_sink, &ref, &err), 0);
			assert_int_equal(ref.len, 1000);
			assert_memory_equal(got.p, ref.p, 1000);
			free(ref.p);
		} else {
			assert_int_equal(layer_read(&h, mem_read_at, &m, h.checkpoints[cp].out_off,
						    1000, buf_sink, &got, &err), -1);
			assert_int_equal(fl->m.calls, 2);
			assert_non_null(strstr(err->msg, "does not match its sha256"));
			error_free(&err);
			assert_int_equal(got.len, 0);
		}
		layer_index_free(&h);
	}
	free(got.p);
	free(head);
	free(win);
}

/* A flipped byte in a window: the read that needs it fails, naming it. */
static void test_flipped_window(void **state)
{
	uint8_t *head, *win;
	size_t hlen, wlen;
	struct layer_index h;
	struct error *err = NULL;
	struct mem_at *wm;
	struct buf got = { 0 }, file;
	uint32_t i, cp = 0;
	char want[64];

	(void)state;
	assert_int_equal(layer_index_encode_split(&fx.idx, &head, &hlen, &win, &wlen,
						  &err), 0);
	assert_int_equal(layer_index_decode_head(head, hlen, &h, &err), 0);
	for (i = h.ncheckpoints - 1; i > 0 && !cp; i--)
		if (h.checkpoints[i].window_kind != LAYER_WINDOW_NONE)
			cp = i;
	assert_true(cp > 0);
	win[h.checkpoints[cp].window_off + h.checkpoints[cp].window_len / 2] ^= 0x20;
	wm = calloc(1, sizeof(*wm));
	assert_non_null(wm);
	*wm = (struct mem_at){ win, wlen, 0, 0 };
	assert_int_equal(layer_index_set_windows(&h, mem_read_at, wm, free, &err), 0);
	{
		struct mem_at m = { fx.layer.p, fx.layer.len, 0, 0 };

		assert_int_equal(layer_read(&h, mem_read_at, &m, h.checkpoints[cp].out_off,
					    5000, buf_sink, &got, &err), -1);
	}
	snprintf(want, sizeof(want), "checkpoint %" PRIu32 ": window", cp);
	assert_non_null(strstr(err->msg, want));
	assert_non_null(strstr(err->msg, h.digest));
	assert_non_null(strstr(err->msg, "does not match its sha256"));
	assert_int_equal(err->errnum, EIO);
	error_free(&err);
	/* never a byte of it */
	assert_int_equal(got.len, 0);
	layer_index_free(&h);

	/* the same in one file: refused by decode */
	file.len = hlen + wlen;
	file.p = malloc(file.len);
	assert_non_null(file.p);
	memcpy(file.p, head, hlen);
	memcpy(file.p + hlen, win, wlen);
	assert_int_equal(layer_index_decode(file.p, file.len, &h, &err), -1);
	assert_non_null(strstr(err->msg, "does not match its sha256"));
	error_free(&err);
	free(file.p);
	free(got.p);
	free(head);
	free(win);
}

static void test_truncated(void **state)
{
	struct buf file = encode_v2(&fx.idx);
	uint8_t *head, *win;
	size_t hlen, wlen, len;
	struct layer_index h;
	struct error *err = NULL;

	(void)state;
	assert_int_equal(layer_index_encode_split(&fx.idx, &head, &hlen, &win, &wlen,
						  &err), 0);
	for (len = 0; len < file.len; len += len < 4096 ? 1 : 997) {
		assert_int_equal(layer_index_decode(file.p, len, &h, &err), -1);
		assert_non_null(err);
		error_free(&err);
	}
	for (len = 0; len < hlen; len++) {
		assert_int_equal(layer_index_decode_head(head, len, &h, &err), -1);
		assert_non_null(err);
		error_free(&err);
	}
	/* a flipped head byte: the head's own checksum */
	head[hlen / 2] ^= 1;
	assert_int_equal(layer_index_decode_head(head, hlen, &h, &err), -1);
	assert_non_null(strstr(err->msg, "checksum mismatch"));
	error_free(&err);
	free(file.p);
	free(head);
	free(win);
}

/* A windows part that does not add up, with a valid checksum. */
static void test_windows_size(void **state)
{
	uint8_t *head, *win;
	size_t hlen, wlen;
	struct layer_index h;
	struct error *err = NULL;
	unsigned int n;

	(void)state;
	assert_int_equal(layer_index_encode_split(&fx.idx, &head, &hlen, &win, &wlen,
						  &err), 0);
	/* windows_size at 88: one byte more than the windows add up to */
	head[88]++;
	assert_true(EVP_Digest(head, hlen - 32, head + hlen - 32, &n, EVP_sha256(), NULL));
	assert_int_equal(layer_index_decode_head(head, hlen, &h, &err), -1);
	assert_non_null(strstr(err->msg, "windows part"));
	error_free(&err);
	free(head);
	free(win);
}

static void test_v1_still_read(void **state)
{
	struct error *err = NULL;
	struct buf v1 = { 0 };
	struct layer_index back;
	int fd = memfd_create("index", 0);
	struct stat st;

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(layer_index_encode(&fx.idx, fd, &err), 0);
	assert_int_equal(fstat(fd, &st), 0);
	v1.len = (size_t)st.st_size;
	v1.p = malloc(v1.len);
	assert_non_null(v1.p);
	assert_int_equal(pread(fd, v1.p, v1.len, 0), (ssize_t)v1.len);
	close(fd);
	assert_int_equal(v1.p[8], 1);
	assert_int_equal(layer_index_decode(v1.p, v1.len, &back, &err), 0);
	assert_int_equal(back.version, 1);
	expect_files(&back);
	layer_index_free(&back);
	/* a head alone is version 2 only */
	assert_int_equal(layer_index_decode_head(v1.p, v1.len, &back, &err), -1);
	assert_non_null(strstr(err->msg, "version 1 where 2"));
	error_free(&err);
	free(v1.p);
}

/* An index read as a head alone cannot be written whole. */
static void test_lazy_not_encoded(void **state)
{
	uint8_t *head, *win, *h2, *w2;
	size_t hlen, wlen, l2, lw2;
	struct layer_index h;
	struct error *err = NULL;
	int fd = memfd_create("index", 0);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(layer_index_encode_split(&fx.idx, &head, &hlen, &win, &wlen,
						  &err), 0);
	assert_int_equal(layer_index_decode_head(head, hlen, &h, &err), 0);
	assert_int_equal(layer_index_encode(&h, fd, &err), -1);
	assert_non_null(strstr(err->msg, "not in memory"));
	error_free(&err);
	assert_int_equal(layer_index_encode_split(&h, &h2, &l2, &w2, &lw2, &err), -1);
	error_free(&err);
	close(fd);
	layer_index_free(&h);
	free(head);
	free(win);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_head_alone),
		cmocka_unit_test(test_window_ahead),
		cmocka_unit_test(test_flipped_window),
		cmocka_unit_test(test_window_fetched_again),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_windows_size),
		cmocka_unit_test(test_v1_still_read),
		cmocka_unit_test(test_lazy_not_encoded),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
