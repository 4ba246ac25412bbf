// SPDX-License-Identifier: MIT
/*
 * A layer's own TOC (zstd:chunked) as a layer index: a layer made in
 * memory the way containers/storage cuts it (each file's data, and each
 * chunk of it, a zstd frame of its own between frames of tar headers),
 * its TOC parsed and every file read back through layer_read; a wrong
 * chunk digest reads EIO; hostile TOCs are refused with a clear message.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zstd.h>

#include "../../image/digest.h"
#include "../../image/layer_index.h"
#include "../../image/layer_toc.h"

struct buf {
	uint8_t *p;
	size_t len;
};

/* Append SRC as one zstd frame; returns the frame's offset. */
static size_t add_frame(struct buf *b, const void *src, size_t len)
{
	size_t bound = ZSTD_compressBound(len), off = b->len, n;

	b->p = realloc(b->p, b->len + bound);
	assert_non_null(b->p);
	n = ZSTD_compress(b->p + b->len, bound, src, len, 3);
	assert_false(ZSTD_isError(n));
	b->len += n;
	return off;
}

static void hex_digest(const void *p, size_t len, char out[72])
{
	uint8_t md[32];

	assert_int_equal(sha256_buf(p, len, md), 0);
	memcpy(out, "sha256:", 7);
	sha256_hex(md, out + 7);
}

static int read_at(void *ctx, uint64_t off, void *buf, size_t len,
		   struct error **err)
{
	struct buf *b = ctx;

	if (off > b->len || len > b->len - off)
		return error_set(err, EIO, "past the end");
	memcpy(buf, b->p + off, len);
	return 0;
}

static int mem_sink(void *ctx, const void *p, size_t len, struct error **err)
{
	struct buf *b = ctx;

	(void)err;
	b->p = realloc(b->p, b->len + len + 1);
	assert_non_null(b->p);
	memcpy(b->p + b->len, p, len);
	b->len += len;
	return 0;
}

static const char digest0[] =
	"sha256:0000000000000000000000000000000000000000000000000000000000000000";

/* A layer of a dir, a small file, a file of three chunks, a symlink, a hardlink. */
struct layer {
	struct buf blob;
	uint8_t small[100], big[300000];
	char *toc;
	size_t data_end;
};

static void make_layer(struct layer *l, bool bad_chunk_digest)
{
	size_t o_small, e_small, o_big[3], e_big;
	char d_small[72], d_big[72], c[3][72];
	static const size_t cut[4] = { 0, 100000, 250000, 300000 };

	memset(l, 0, sizeof(*l));
	for (size_t i = 0; i < sizeof(l->small); i++)
		l->small[i] = (uint8_t)('a' + i % 26);
	for (size_t i = 0; i < sizeof(l->big); i++)
		l->big[i] = (uint8_t)((i * 2654435761u) >> 13);
	add_frame(&l->blob, "tar header of d/ and small", 26);
	o_small = add_frame(&l->blob, l->small, sizeof(l->small));
	e_small = l->blob.len;
	add_frame(&l->blob, "padding and the header of big", 29);
	for (int k = 0; k < 3; k++) {
		o_big[k] = add_frame(&l->blob, l->big + cut[k], cut[k + 1] - cut[k]);
		hex_digest(l->big + cut[k], cut[k + 1] - cut[k], c[k]);
	}
	e_big = l->blob.len;
	add_frame(&l->blob, "padding, link headers, end of archive", 37);
	l->data_end = l->blob.len;
	hex_digest(l->small, sizeof(l->small), d_small);
	hex_digest(l->big, sizeof(l->big), d_big);
	if (bad_chunk_digest)
		c[1][10] = c[1][10] == '0' ? '1' : '0';
	assert_true(asprintf(&l->toc,
		"{\"version\":1,\"entries\":["
		"{\"type\":\"dir\",\"name\":\"d/\",\"mode\":16877,\"modtime\":\"2024-01-02T03:04:05Z\"},"
		"{\"type\":\"reg\",\"name\":\"d/small\",\"mode\":33188,\"size\":100,\"uid\":7,\"gid\":8,"
		"\"modtime\":\"2024-01-02T03:04:05.5+01:00\",\"xattrs\":{\"user.a\":\"dmFs\"},"
		"\"digest\":\"%s\",\"offset\":%zu,\"endOffset\":%zu},"
		"{\"type\":\"reg\",\"name\":\"big\",\"mode\":33261,\"size\":300000,"
		"\"digest\":\"%s\",\"offset\":%zu,\"endOffset\":%zu,\"chunkSize\":100000,\"chunkDigest\":\"%s\"},"
		"{\"type\":\"chunk\",\"name\":\"big\",\"offset\":%zu,\"chunkOffset\":100000,\"chunkSize\":150000,\"chunkDigest\":\"%s\",\"chunkType\":\"data\"},"
		"{\"type\":\"chunk\",\"name\":\"big\",\"offset\":%zu,\"chunkOffset\":250000,\"chunkSize\":50000,\"chunkDigest\":\"%s\"},"
		"{\"type\":\"reg\",\"name\":\"empty\",\"mode\":33188,\"size\":0},"
		"{\"type\":\"symlink\",\"name\":\"link\",\"linkName\":\"d/small\",\"mode\":41471},"
		"{\"type\":\"hardlink\",\"name\":\"hard\",\"linkName\":\"d/small\",\"mode\":33188}"
		"]}", d_small, o_small, e_small, d_big, o_big[0], e_big, c[0],
		o_big[1], c[1], o_big[2], c[2]) > 0);
}

static void free_layer(struct layer *l)
{
	free(l->blob.p);
	free(l->toc);
}

static int read_file(struct layer_index *idx, struct layer *l, const char *path,
		     uint64_t off, uint64_t len, struct buf *out,
		     struct error **err)
{
	for (uint32_t i = 0; i < idx->nentries; i++)
		if (!strcmp(idx->entries[i].path, path))
			return layer_read(idx, read_at, &l->blob,
					  idx->entries[i].data_off + off, len,
					  mem_sink, out, err);
	fail_msg("no entry %s", path);
	return -1;
}

static void test_parse_and_read(void **state)
{
	struct layer l;
	struct layer_index idx;
	struct error *err = NULL;
	struct buf out = { 0 };

	(void)state;
	make_layer(&l, false);
	assert_int_equal(layer_toc_parse(l.toc, strlen(l.toc), l.data_end, digest0,
					 l.blob.len, &idx, &err), 0);
	assert_int_equal(idx.nentries, 6);
	assert_int_equal(idx.ncheckpoints, 4);
	assert_int_equal(idx.uncompressed_size, 300100);
	assert_string_equal(idx.entries[1].path, "d/small");
	assert_int_equal(idx.entries[1].mode, S_IFREG | 0644);
	assert_int_equal(idx.entries[1].uid, 7);
	assert_int_equal(idx.entries[1].gid, 8);
	/* 03:04:05.5 at +01:00 is 02:04:05.5 UTC */
	assert_int_equal(idx.entries[1].mtime.tv_sec, 1704161045);
	assert_int_equal(idx.entries[1].mtime.tv_nsec, 500000000);
	assert_int_equal(idx.entries[1].nxattrs, 1);
	assert_int_equal(idx.entries[1].xattrs[0].size, 3);
	assert_memory_equal(idx.entries[1].xattrs[0].value, "val", 3);
	assert_string_equal(idx.entries[4].link, "d/small");
	assert_int_equal(idx.entries[5].kind, LAYER_ENTRY_HARDLINK);
	assert_string_equal(idx.entries[5].hardlink, "d/small");
	assert_int_equal(idx.entries[5].mode, S_IFREG | 0644);

	assert_int_equal(read_file(&idx, &l, "d/small", 0, 100, &out, &err), 0);
	assert_int_equal(out.len, 100);
	assert_memory_equal(out.p, l.small, 100);
	out.len = 0;
	assert_int_equal(read_file(&idx, &l, "big", 0, 300000, &out, &err), 0);
	assert_int_equal(out.len, 300000);
	assert_memory_equal(out.p, l.big, 300000);
	/* a range across the chunk boundaries */
	out.len = 0;
	assert_int_equal(read_file(&idx, &l, "big", 99990, 150020, &out, &err), 0);
	assert_int_equal(out.len, 150020);
	assert_memory_equal(out.p, l.big + 99990, 150020);
	free(out.p);
	layer_index_free(&idx);
	free_layer(&l);
}

static void test_wrong_chunk_eio(void **state)
{
	struct layer l;
	struct layer_index idx;
	struct error *err = NULL;
	struct buf out = { 0 };

	(void)state;
	make_layer(&l, true);
	assert_int_equal(layer_toc_parse(l.toc, strlen(l.toc), l.data_end, digest0,
					 l.blob.len, &idx, &err), 0);
	/* the first chunk is right, the second not: nothing of it is served */
	assert_int_equal(read_file(&idx, &l, "big", 0, 1000, &out, &err), 0);
	assert_int_equal(out.len, 1000);
	out.len = 0;
	assert_int_equal(read_file(&idx, &l, "big", 100000, 10, &out, &err), -1);
	assert_int_equal(err->errnum, EIO);
	assert_non_null(strstr(err->msg, "does not match its digest"));
	assert_int_equal(out.len, 0);
	error_free(&err);
	free(out.p);
	layer_index_free(&idx);
	free_layer(&l);
}

/* A TOC with FIND replaced by REPLACE must fail saying WHY. */
static void hostile(const char *find, const char *replace, const char *why)
{
	struct layer l;
	struct layer_index idx;
	struct error *err = NULL;
	char *p, *toc;

	make_layer(&l, false);
	p = strstr(l.toc, find);
	assert_non_null(p);
	assert_true(asprintf(&toc, "%.*s%s%s", (int)(p - l.toc), l.toc, replace,
			     p + strlen(find)) > 0);
	assert_int_equal(layer_toc_parse(toc, strlen(toc), l.data_end, digest0,
					 l.blob.len, &idx, &err), -1);
	assert_non_null(err);
	if (!strstr(err->msg, why))
		fail_msg("%s -> %s: \"%s\" does not say \"%s\"", find, replace,
			 err->msg, why);
	assert_null(idx.entries);
	error_free(&err);
	free(toc);
	free_layer(&l);
}

static void test_hostile(void **state)
{
	(void)state;
	hostile("\"name\":\"d/small\"", "\"name\":\"../etc/passwd\"", "bad name");
	hostile("\"name\":\"d/small\"", "\"name\":\"/etc/passwd\"", "bad name");
	hostile("\"name\":\"big\",\"mode\"", "\"name\":\"d/small/../../x\",\"mode\"", "bad name");
	hostile("\"size\":100,", "\"size\":-100,", "size is not an integer");
	hostile("\"chunkOffset\":100000", "\"chunkOffset\":99999", "overlaps or leaves a gap");
	hostile("\"chunkOffset\":250000", "\"chunkOffset\":250001", "overlaps or leaves a gap");
	hostile("\"chunkSize\":50000", "\"chunkSize\":40000", "chunks cover");
	hostile("\"chunkSize\":50000", "\"chunkSize\":9223372036854775807", "is not an integer");
	hostile("\"chunkSize\":100000", "\"chunkSize\":300001", "first chunk");
	hostile("\"linkName\":\"d/small\",\"mode\":33188", "\"linkName\":\"nothere\",\"mode\":33188",
		"hardlink target is not an earlier entry");
	hostile("\"linkName\":\"d/small\",\"mode\":33188", "\"linkName\":\"../x\",\"mode\":33188",
		"bad hardlink target");
	hostile("\"linkName\":\"d/small\",\"mode\":41471", "\"linkName\":\"\",\"mode\":41471",
		"symlink target empty");
	hostile("{\"type\":\"dir\"", "{\"type\":\"socketx\"", "not supported");
	hostile("\"chunkOffset\":250000,", "\"chunkOffset\":250000,\"chunkType\":\"holes\",", "chunk type holes not supported");
	hostile("\"version\":1", "\"version\":2", "not a version 1 TOC");
	hostile("\"user.a\":\"dmFs\"", "\"user.a\":\"d!Fs\"", "not base64");
	hostile("\"modtime\":\"2024-01-02T03:04:05Z\"", "\"modtime\":\"yesterday\"", "not a time");
	hostile("{\"type\":\"chunk\",\"name\":\"big\"", "{\"type\":\"chunk\",\"name\":\"d/small\"",
		"a chunk of another file");
}

/* Offsets from the TOC: past the data, backwards, overlapping. */
static void test_hostile_offsets(void **state)
{
	struct layer l;
	struct layer_index idx;
	struct error *err = NULL;
	char big[64], *toc, *p, *q;

	(void)state;
	make_layer(&l, false);
	/* the data must end before the TOC */
	assert_int_equal(layer_toc_parse(l.toc, strlen(l.toc), 100, digest0,
					 l.blob.len, &idx, &err), -1);
	assert_non_null(strstr(err->msg, "offset is not an integer from 0 to 100"));
	error_free(&err);
	/* big's data starting inside small's frame */
	p = strstr(l.toc, "\"name\":\"big\"");
	p = strstr(p, "\"offset\":") + 9;
	q = p + strspn(p, "0123456789");
	assert_true(asprintf(&toc, "%.*s%s%s", (int)(p - l.toc), l.toc, "30", q) > 0);
	assert_int_equal(layer_toc_parse(toc, strlen(toc), l.data_end, digest0,
					 l.blob.len, &idx, &err), -1);
	assert_non_null(strstr(err->msg, "overlaps the file before it"));
	error_free(&err);
	free(toc);
	/* a chunk before its file's first frame */
	p = strstr(l.toc, "{\"type\":\"chunk\"");
	p = strstr(p, "\"offset\":") + 9;
	q = p + strspn(p, "0123456789");
	snprintf(big, sizeof(big), "%s", "5");
	assert_true(asprintf(&toc, "%.*s%s%s", (int)(p - l.toc), l.toc, big, q) > 0);
	assert_int_equal(layer_toc_parse(toc, strlen(toc), l.data_end, digest0,
					 l.blob.len, &idx, &err), -1);
	assert_non_null(strstr(err->msg, "not after the one before it"));
	error_free(&err);
	free(toc);
	free_layer(&l);
}

static void test_ref_and_checksum(void **state)
{
	struct layer_toc_ref ref;
	struct layer_index idx;
	struct error *err = NULL;
	struct layer l;
	struct buf z = { 0 };
	char sum[72], pos[128];

	(void)state;
	assert_int_equal(layer_toc_ref_parse("10:20:30:1", digest0, 30, &ref, &err), 0);
	assert_int_equal(ref.offset, 10);
	assert_int_equal(ref.length, 20);
	assert_int_equal(layer_toc_ref_parse("10:21:30:1", digest0, 30, &ref, &err), -1);
	assert_non_null(strstr(err->msg, "past the layer"));
	error_free(&err);
	assert_int_equal(layer_toc_ref_parse("18446744073709551615:20:30:1", digest0, 30, &ref, &err), -1);
	error_free(&err);
	assert_int_equal(layer_toc_ref_parse("99999999999999999999:20:30:1", digest0, 30, &ref, &err), -1);
	error_free(&err);
	assert_int_equal(layer_toc_ref_parse("-1:20:30:1", digest0, 30, &ref, &err), -1);
	error_free(&err);
	assert_int_equal(layer_toc_ref_parse("10:20:30:2", digest0, 30, &ref, &err), -1);
	assert_non_null(strstr(err->msg, "not zstd"));
	error_free(&err);
	assert_int_equal(layer_toc_ref_parse("10:20:30:1", "md5:00", 30, &ref, &err), -1);
	error_free(&err);

	/* the whole path: checksum, zstd, JSON */
	make_layer(&l, false);
	add_frame(&z, l.toc, strlen(l.toc));
	hex_digest(z.p, z.len, sum);
	snprintf(pos, sizeof(pos), "%zu:%zu:%zu:1", l.blob.len, z.len, strlen(l.toc));
	assert_int_equal(layer_toc_ref_parse(pos, sum, l.blob.len + z.len, &ref, &err), 0);
	assert_int_equal(layer_toc_index(&ref, z.p, z.len, digest0, l.blob.len + z.len,
					 &idx, &err), 0);
	assert_int_equal(idx.nentries, 6);
	layer_index_free(&idx);
	/* one byte of the TOC changed: refused by its checksum */
	z.p[z.len / 2] ^= 1;
	assert_int_equal(layer_toc_index(&ref, z.p, z.len, digest0, l.blob.len + z.len,
					 &idx, &err), -1);
	assert_non_null(strstr(err->msg, "checksum mismatch"));
	error_free(&err);
	free(z.p);
	free_layer(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_and_read),
		cmocka_unit_test(test_wrong_chunk_eio),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_hostile_offsets),
		cmocka_unit_test(test_ref_and_checksum),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
