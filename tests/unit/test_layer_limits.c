// SPDX-License-Identifier: MIT
/*
 * Resource limits of layer indexes against hostile input: gzip windows
 * (32 KiB each once inflated) no denser than a real layer has them and
 * inflated only by a read; xattrs capped per entry (rejected, named) and
 * per layer (refused, named), when building from a tar and when
 * decoding an index file. Damage is done to encoded bytes, so that the
 * expectations do not depend on the reader's structures.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
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
#define HEADER 88
#define MiB (1u << 20)


/* --- layers written in memory --- */


static struct archive *tar_open(struct buf *out)
{
	struct archive *a = archive_write_new();

	assert_non_null(a);
	assert_int_equal(archive_write_set_format_pax(a), ARCHIVE_OK);
	/* one header per xattr (not also LIBARCHIVE.xattr): half the tar */
	assert_int_equal(archive_write_set_options(a, "pax:xattrheader=SCHILY"), ARCHIVE_OK);
	assert_int_equal(archive_write_open(a, out, NULL, buf_archive_write, NULL), ARCHIVE_OK);
	return a;
}

/* A file (or a directory when DATA is NULL) with NX xattrs of VSIZE bytes each. */
static void tar_add(struct archive *a, const char *name, const void *data,
		    size_t size, unsigned nx, size_t vsize)
{
	struct archive_entry *e = archive_entry_new();
	uint8_t *value = calloc(1, vsize + 1);
	unsigned k;

	assert_non_null(e);
	assert_non_null(value);
	memset(value, 'v', vsize);
	archive_entry_set_pathname(e, name);
	archive_entry_set_mode(e, data ? S_IFREG | 0644 : S_IFDIR | 0755);
	archive_entry_set_size(e, data ? (la_int64_t)size : 0);
	for (k = 0; k < nx; k++) {
		char xname[32];

		snprintf(xname, sizeof(xname), "user.x%u", k);
		archive_entry_xattr_add_entry(e, xname, value, vsize);
	}
	assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
	if (data && size)
		assert_int_equal(archive_write_data(a, data, size), (la_ssize_t)size);
	archive_entry_free(e);
	free(value);
}

static void tar_close(struct archive *a)
{
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
}

static struct buf gzip_of(const struct buf *in)
{
	struct buf out = { 0 };
	uLongf n = compressBound(in->len) + 64;
	z_stream z = { 0 };

	out.p = malloc(n);
	assert_non_null(out.p);
	assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY), Z_OK);
	z.next_in = in->p;
	z.avail_in = (uInt)in->len;
	z.next_out = out.p;
	z.avail_out = (uInt)n;
	assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
	out.len = out.cap = n - z.avail_out;
	deflateEnd(&z);
	return out;
}

struct mem {
	const uint8_t *p;
	size_t len, pos;
};

static ssize_t mem_next(void *ctx, void *buf, size_t len, struct error **err)
{
	struct mem *m = ctx;
	size_t n = m->len - m->pos < len ? m->len - m->pos : len;

	(void)err;
	memcpy(buf, m->p + m->pos, n);
	m->pos += n;
	return (ssize_t)n;
}

static int mem_read_at(void *ctx, uint64_t off, void *buf, size_t len,
		       struct error **err)
{
	struct mem *m = ctx;

	if (off > m->len || len > m->len - off)
		return error_set(err, EIO, "read past the end");
	memcpy(buf, m->p + off, len);
	return 0;
}

static int buf_sink(void *ctx, const void *p, size_t n, struct error **err)
{
	(void)err;
	buf_add(ctx, p, n);
	return 0;
}

static int build(const struct buf *layer, struct layer_index *idx,
		 struct error **err)
{
	struct mem m = { layer->p, layer->len, 0 };

	return layer_index_build(mem_next, &m, CHUNK, idx, err);
}

static struct buf encode(const struct layer_index *idx)
{
	struct error *err = NULL;
	struct buf out = { 0 };
	int fd = memfd_create("index", 0);
	struct stat st;

	assert_true(fd >= 0);
	assert_int_equal(layer_index_encode(idx, fd, &err), 0);
	assert_int_equal(fstat(fd, &st), 0);
	out.len = out.cap = (size_t)st.st_size;
	out.p = malloc(out.len);
	assert_non_null(out.p);
	assert_int_equal(pread(fd, out.p, out.len, 0), (ssize_t)out.len);
	close(fd);
	return out;
}

static void fix_trailer(struct buf *b)
{
	unsigned int n;

	assert_true(EVP_Digest(b->p, b->len - 32, b->p + b->len - 32, &n, EVP_sha256(), NULL));
}

static void expect_decode_error(const struct buf *b, const char *what)
{
	struct layer_index idx;
	struct error *err = NULL;

	assert_int_equal(layer_index_decode(b->p, b->len, &idx, &err), -1);
	if (!strstr(err->msg, what))
		print_error("want \"%s\" in \"%s\"\n", what, err->msg);
	assert_non_null(strstr(err->msg, what));
	error_free(&err);
}

static uint64_t get_le(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;

	while (n--)
		v = v << 8 | p[n];
	return v;
}

static void put_le(uint8_t *p, uint64_t v, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* Offset of checkpoint record I in an encoded index (docs/INDEX.md). */
static size_t checkpoint_at(const struct buf *b, uint32_t i)
{
	size_t pos = HEADER + get_le(b->p + 40, 8) * 32;

	while (i--)
		pos += 22 + get_le(b->p + pos + 18, 4);
	return pos;
}

/* Text: deflate makes dynamic blocks of it, and windows 4 MiB apart. */
static uint8_t *text(size_t n)
{
	uint8_t *p = malloc(n);
	uint64_t x = 88172645463325252ull;
	size_t i;

	assert_non_null(p);
	for (i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		p[i] = (uint8_t)("abcdefgh ijklmno\n"[x % 17]);
	}
	return p;
}

static struct {
	struct buf tar, gz;
	uint8_t *data;
	struct layer_index idx;
	struct buf enc;
	uint32_t window;	/* a checkpoint with a window */
} g;

static int setup(void **state)
{
	struct archive *a = tar_open(&g.tar);
	struct error *err = NULL;
	uint32_t i;

	(void)state;
	g.data = text(10 * MiB);
	tar_add(a, "big", g.data, 10 * MiB, 0, 0);
	tar_close(a);
	g.gz = gzip_of(&g.tar);
	assert_int_equal(build(&g.gz, &g.idx, &err), 0);
	for (i = 1; i < g.idx.ncheckpoints; i++)
		if (g.idx.checkpoints[i].window)
			break;
	assert_true(i < g.idx.ncheckpoints);
	g.window = i;
	g.enc = encode(&g.idx);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	layer_index_free(&g.idx);
	free(g.enc.p);
	free(g.gz.p);
	free(g.tar.p);
	free(g.data);
	return 0;
}

/* A window closer to the checkpoint before it than a layer can have it. */
static void test_window_gap(void **state)
{
	struct buf b = { 0 };
	size_t at, prev;
	char want[128];

	(void)state;
	buf_add(&b, g.enc.p, g.enc.len);
	at = checkpoint_at(&b, g.window);
	prev = checkpoint_at(&b, g.window - 1);
	/* 100 compressed bytes on: still in order, but far too dense */
	put_le(b.p + at, get_le(b.p + prev, 8) + 100, 8);
	fix_trailer(&b);
	snprintf(want, sizeof(want), "index: checkpoint %u: window 100 compressed bytes after",
		 (unsigned)g.window);
	expect_decode_error(&b, want);
	free(b.p);
}

/*
 * A window that inflates to the wrong size: the index still loads (its
 * windows stay deflated), a read from that checkpoint fails clearly,
 * reads from others work.
 */
static void test_window_inflated_on_read(void **state)
{
	uint8_t small[1000] = { 0 }, z[64], len[4];
	uLongf zlen = sizeof(z);
	struct buf b = { 0 }, got = { 0 };
	struct layer_index idx;
	struct error *err = NULL;
	struct mem m = { g.gz.p, g.gz.len, 0 };
	size_t at, wlen;
	uint64_t off;

	(void)state;
	assert_int_equal(compress2(z, &zlen, small, sizeof(small), 6), Z_OK);
	at = checkpoint_at(&g.enc, g.window);
	wlen = get_le(g.enc.p + at + 18, 4);
	off = get_le(g.enc.p + at + 8, 8);
	buf_add(&b, g.enc.p, at + 17);
	buf_add(&b, "\x02", 1);		/* zlib */
	put_le(len, zlen, 4);
	buf_add(&b, len, 4);
	buf_add(&b, z, zlen);
	buf_add(&b, g.enc.p + at + 22 + wlen, g.enc.len - (at + 22 + wlen));
	fix_trailer(&b);
	if (layer_index_decode(b.p, b.len, &idx, &err) < 0)
		print_error("decode: %s\n", err->msg);
	assert_null(err);
	assert_int_equal(layer_read(&idx, mem_read_at, &m, off + 10, 100,
				    buf_sink, &got, &err), -1);
	assert_non_null(strstr(err->msg, "corrupt compressed window"));
	error_free(&err);
	got.len = 0;
	assert_int_equal(layer_read(&idx, mem_read_at, &m, 0, 4096, buf_sink,
				    &got, &err), 0);
	assert_int_equal(got.len, 4096);
	assert_memory_equal(got.p, g.tar.p, 4096);
	layer_index_free(&idx);
	free(got.p);
	free(b.p);
}

/* Over 64 KiB of xattrs on one entry: that entry is left out, not the layer. */
static void test_build_entry_xattrs(void **state)
{
	struct buf tar = { 0 };
	struct archive *a = tar_open(&tar);
	struct layer_index idx;
	struct error *err = NULL;

	(void)state;
	tar_add(a, "fine", "x", 1, 1, 60000);
	tar_add(a, "heavy", "y", 1, 2, 40000);	/* each value fits, not both */
	tar_add(a, "after", "z", 1, 0, 0);
	tar_close(a);
	if (build(&tar, &idx, &err) < 0)
		print_error("%s\n", err->msg);
	assert_null(err);
	assert_int_equal(idx.nentries, 2);
	assert_string_equal(idx.entries[0].path, "fine");
	assert_int_equal(idx.entries[0].nxattrs, 1);
	assert_int_equal(idx.entries[0].xattrs[0].size, 60000);
	assert_string_equal(idx.entries[1].path, "after");
	assert_int_equal(idx.rejected, 1);
	layer_index_free(&idx);
	free(tar.p);
}

/* Over 32 MiB of xattrs in one layer: refused, naming the entry that passed it. */
static void test_build_layer_xattrs(void **state)
{
	struct buf tar = { 0 };
	struct archive *a = tar_open(&tar);
	struct layer_index idx;
	struct error *err = NULL;
	char name[16];
	unsigned i;

	(void)state;
	/* 60006 bytes each (name "user.x0" is 7): the 560th passes 32 MiB */
	for (i = 0; i < 600; i++) {
		snprintf(name, sizeof(name), "d%03u", i);
		tar_add(a, name, NULL, 0, 1, 59999);
	}
	tar_close(a);
	assert_int_equal(build(&tar, &idx, &err), -1);
	if (!strstr(err->msg, "\"d559\"") || !strstr(err->msg, "32 MiB"))
		print_error("got \"%s\"\n", err->msg);
	assert_non_null(strstr(err->msg, "\"d559\""));
	assert_non_null(strstr(err->msg, "32 MiB"));
	error_free(&err);
	free(tar.p);
}

static void set_xattr(struct layer_entry *e, unsigned k, size_t size)
{
	struct layer_xattr *x = &e->xattrs[k];

	x->name = malloc(16);
	x->value = calloc(1, size);
	assert_non_null(x->name);
	assert_non_null(x->value);
	snprintf(x->name, 16, "user.x%u", k);
	x->size = size;
}

/* An index file whose xattrs pass the caps: refused, naming the entry. */
static void test_decode_xattr_caps(void **state)
{
	struct layer_index idx = {
		.version = LAYER_INDEX_VERSION, .compression = LAYER_PLAIN,
		.chunk_size = CHUNK, .seekable = true, .ncheckpoints = 1,
	};
	struct layer_checkpoint cp = { 0 };
	struct buf b;
	uint32_t i;

	(void)state;
	strcpy(idx.digest, "sha256:");
	memset(idx.digest + 7, 'a', 64);
	idx.checkpoints = &cp;
	idx.nentries = 601;
	idx.entries = calloc(idx.nentries, sizeof(*idx.entries));
	assert_non_null(idx.entries);
	for (i = 0; i < idx.nentries; i++) {
		struct layer_entry *e = &idx.entries[i];

		e->path = malloc(16);
		assert_non_null(e->path);
		snprintf(e->path, 16, i ? "d%03u" : "", i - 1);
		e->mode = S_IFDIR | 0755;
	}
	/* one entry: two values that fit alone, not together */
	idx.entries[3].xattrs = calloc(2, sizeof(struct layer_xattr));
	assert_non_null(idx.entries[3].xattrs);
	idx.entries[3].nxattrs = 2;
	set_xattr(&idx.entries[3], 0, 40000);
	set_xattr(&idx.entries[3], 1, 40000);
	b = encode(&idx);
	expect_decode_error(&b, "index: entry 3 \"d002\": xattrs larger than 64 KiB");
	free(b.p);

	/* 60006 bytes on each: the 560th entry with xattrs passes 32 MiB */
	for (i = 0; i < 2; i++) {
		free(idx.entries[3].xattrs[i].name);
		free(idx.entries[3].xattrs[i].value);
	}
	free(idx.entries[3].xattrs);
	idx.entries[3].xattrs = NULL;
	idx.entries[3].nxattrs = 0;
	for (i = 1; i < idx.nentries; i++) {
		struct layer_entry *e = &idx.entries[i];

		if (!e->nxattrs) {
			e->xattrs = calloc(1, sizeof(struct layer_xattr));
			assert_non_null(e->xattrs);
			e->nxattrs = 1;
			set_xattr(e, 0, 59999);
		}
	}
	b = encode(&idx);
	expect_decode_error(&b, "index: entry 560 \"d559\": the index's xattrs pass 32 MiB");
	free(b.p);
	idx.checkpoints = NULL;
	idx.ncheckpoints = 0;
	layer_index_free(&idx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_window_gap),
		cmocka_unit_test(test_window_inflated_on_read),
		cmocka_unit_test(test_build_entry_xattrs),
		cmocka_unit_test(test_build_layer_xattrs),
		cmocka_unit_test(test_decode_xattr_caps),
	};

	return cmocka_run_group_tests_name("layer_limits", tests, setup, teardown);
}
