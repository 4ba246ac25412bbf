// SPDX-License-Identifier: MIT
/*
 * An eStargz layer's footer and TOC as a layer index: a layer made in
 * memory the way estargz cuts it (tar headers in gzip members of their
 * own, each file's data and each chunk of it a gzip member, the TOC a
 * gzip'd tar of stargz.index.json, the 51-byte footer), written with
 * zlib and libarchive, not with the code under test. Every file reads
 * back through layer_read; a wrong chunk digest reads EIO; a bad footer,
 * TOC digest, offset or name refuses the TOC with a clear message.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "../../image/digest.h"
#include "../../image/layer_estargz.h"
#include "../../image/layer_index.h"
#include "../../image/layer_toc.h"

struct buf {
	uint8_t *p;
	size_t len;
};

static void append(struct buf *b, const void *src, size_t len)
{
	b->p = realloc(b->p, b->len + len + 1);
	assert_non_null(b->p);
	memcpy(b->p + b->len, src, len);
	b->len += len;
}

/* Append SRC as one gzip member (with HEAD's extra field, if any); returns its offset. */
static size_t add_member(struct buf *b, const void *src, size_t len, gz_header *head)
{
	uint8_t out[1 << 16];
	z_stream z = { 0 };
	size_t off = b->len;
	int ret;

	/* the footer's empty member is a stored block, as Go's gzip writes it */
	assert_int_equal(deflateInit2(&z, head ? 0 : 9, Z_DEFLATED, 15 + 16, 8,
				      Z_DEFAULT_STRATEGY), Z_OK);
	if (head)
		assert_int_equal(deflateSetHeader(&z, head), Z_OK);
	z.next_in = (uint8_t *)src;
	z.avail_in = (uInt)len;
	do {
		z.next_out = out;
		z.avail_out = sizeof(out);
		ret = deflate(&z, Z_FINISH);
		assert_true(ret == Z_OK || ret == Z_STREAM_END);
		append(b, out, sizeof(out) - z.avail_out);
	} while (ret != Z_STREAM_END);
	deflateEnd(&z);
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
	(void)err;
	append(ctx, p, len);
	return 0;
}

static const char digest0[] =
	"sha256:0000000000000000000000000000000000000000000000000000000000000000";

/* The TOC's member: a gzip'd tar of one entry NAME holding JSON. */
static void add_toc(struct buf *b, const char *name, const char *json)
{
	struct archive *a = archive_write_new();
	struct archive_entry *e = archive_entry_new();
	size_t cap = strlen(json) + 65536, used = 0;
	uint8_t *mem = malloc(cap);

	assert_non_null(a);
	assert_non_null(e);
	assert_non_null(mem);
	assert_int_equal(archive_write_set_format_ustar(a), ARCHIVE_OK);
	assert_int_equal(archive_write_add_filter_gzip(a), ARCHIVE_OK);
	assert_int_equal(archive_write_open_memory(a, mem, cap, &used), ARCHIVE_OK);
	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, (la_int64_t)strlen(json));
	assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
	assert_int_equal(archive_write_data(a, json, strlen(json)), (la_ssize_t)strlen(json));
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
	archive_entry_free(e);
	append(b, mem, used);
	free(mem);
}

/* The footer: an empty gzip member, extra field "SG" + "%016xSTARGZ". */
static void add_footer(struct buf *b, uint64_t toc_off)
{
	char payload[32];
	uint8_t extra[4 + 22];
	gz_header h = { 0 };
	size_t before = b->len;

	snprintf(payload, sizeof(payload), "%016llxSTARGZ", (unsigned long long)toc_off);
	memcpy(extra, "SG\x16\x00", 4);
	memcpy(extra + 4, payload, 22);
	h.extra = extra;
	h.extra_len = sizeof(extra);
	h.os = 255;
	add_member(b, "", 0, &h);
	assert_int_equal(b->len - before, ESTARGZ_FOOTER_SIZE);
}

/* A layer of a dir, a small file, a file of three chunks, an empty file, links. */
struct layer {
	struct buf blob;
	uint8_t small[100], big[300000];
	char *toc;
	char toc_digest[72];
	uint64_t toc_off;
};

static const char hdr[512];	/* stands for the tar headers and padding */

/* FMT gets: small's digest, offset; big's digest, 3 offsets and chunk digests. */
static void make_layer(struct layer *l, const char *fmt)
{
	size_t o_small, o_big[3];
	char d_small[72], d_big[72], c[3][72];
	static const size_t cut[4] = { 0, 100000, 250000, 300000 };

	memset(l, 0, sizeof(*l));
	for (size_t i = 0; i < sizeof(l->small); i++)
		l->small[i] = (uint8_t)('a' + i % 26);
	for (size_t i = 0; i < sizeof(l->big); i++)
		l->big[i] = (uint8_t)((i * 2654435761u) >> 13);
	add_member(&l->blob, hdr, sizeof(hdr), NULL);
	o_small = add_member(&l->blob, l->small, sizeof(l->small), NULL);
	add_member(&l->blob, hdr, sizeof(hdr), NULL);
	for (int k = 0; k < 3; k++) {
		o_big[k] = add_member(&l->blob, l->big + cut[k], cut[k + 1] - cut[k], NULL);
		hex_digest(l->big + cut[k], cut[k + 1] - cut[k], c[k]);
	}
	add_member(&l->blob, hdr, sizeof(hdr), NULL);
	hex_digest(l->small, sizeof(l->small), d_small);
	hex_digest(l->big, sizeof(l->big), d_big);
	assert_true(asprintf(&l->toc, fmt, d_small, o_small, d_small, d_big, o_big[0],
			     c[0], o_big[1], c[1], o_big[2], c[2]) > 0);
	hex_digest(l->toc, strlen(l->toc), l->toc_digest);
	l->toc_off = l->blob.len;
	add_toc(&l->blob, ESTARGZ_TOC_NAME, l->toc);
	add_footer(&l->blob, l->toc_off);
}

/* As estargz writes it: the last chunk's size left out. */
static const char good[] =
	"{\"version\":1,\"entries\":["
	"{\"type\":\"dir\",\"name\":\"d/\",\"mode\":16877,\"modtime\":\"2024-01-02T03:04:05Z\"},"
	"{\"type\":\"reg\",\"name\":\"d/small\",\"mode\":33188,\"size\":100,\"uid\":7,\"gid\":8,"
	"\"modtime\":\"2024-01-02T03:04:05Z\",\"xattrs\":{\"user.a\":\"dmFs\"},"
	"\"digest\":\"%s\",\"offset\":%zu,\"chunkDigest\":\"%s\"},"
	"{\"type\":\"reg\",\"name\":\"big\",\"mode\":33261,\"size\":300000,"
	"\"digest\":\"%s\",\"offset\":%zu,\"chunkSize\":100000,\"chunkDigest\":\"%s\"},"
	"{\"type\":\"chunk\",\"name\":\"big\",\"offset\":%zu,\"chunkOffset\":100000,\"chunkSize\":150000,\"chunkDigest\":\"%s\"},"
	"{\"type\":\"chunk\",\"name\":\"big\",\"offset\":%zu,\"chunkOffset\":250000,\"chunkDigest\":\"%s\"},"
	"{\"type\":\"reg\",\"name\":\"empty\",\"mode\":33188,\"size\":0},"
	"{\"type\":\"symlink\",\"name\":\"link\",\"linkName\":\"d/small\",\"mode\":41471},"
	"{\"type\":\"hardlink\",\"name\":\"hard\",\"linkName\":\"d/small\",\"mode\":33188}"
	"]}";

static void free_layer(struct layer *l)
{
	free(l->blob.p);
	free(l->toc);
}

/* Footer, TOC member, index: as layer_set does it. */
static int index_layer(struct layer *l, const char *toc_digest,
		       struct layer_index *idx, struct error **err)
{
	uint64_t size = l->blob.len, off;

	if (layer_estargz_footer(l->blob.p + size - ESTARGZ_FOOTER_SIZE,
				 ESTARGZ_FOOTER_SIZE, size, &off, err) < 0)
		return -1;
	assert_int_equal(off, l->toc_off);
	return layer_estargz_index(l->blob.p + off, size - ESTARGZ_FOOTER_SIZE - off,
				   off, toc_digest, digest0, size, idx, err);
}

static int read_file(struct layer_index *idx, struct layer *l, const char *path,
		     struct buf *out, struct error **err)
{
	for (uint32_t i = 0; i < idx->nentries; i++)
		if (!strcmp(idx->entries[i].path, path))
			return layer_read(idx, read_at, &l->blob, idx->entries[i].data_off,
					  idx->entries[i].size, mem_sink, out, err);
	fail_msg("no entry %s", path);
	return -1;
}

static void test_parse_and_read(void **state)
{
	struct layer_index idx;
	struct error *err = NULL;
	struct buf got = { 0 };
	struct layer l;

	(void)state;
	make_layer(&l, good);
	if (index_layer(&l, l.toc_digest, &idx, &err) < 0)
		fail_msg("%s", err->msg);
	assert_int_equal(idx.compression, LAYER_GZIP);
	assert_int_equal(idx.nentries, 6);
	assert_int_equal(idx.ncheckpoints, 4);	/* small, 3 chunks of big */
	assert_int_equal(idx.uncompressed_size, 100 + 300000);
	assert_string_equal(idx.entries[1].path, "d/small");
	assert_int_equal(idx.entries[1].uid, 7);
	assert_int_equal(idx.entries[1].nxattrs, 1);
	assert_int_equal(idx.entries[5].kind, LAYER_ENTRY_HARDLINK);
	assert_string_equal(idx.entries[4].link, "d/small");
	assert_int_equal(read_file(&idx, &l, "d/small", &got, &err), 0);
	assert_int_equal(got.len, sizeof(l.small));
	assert_memory_equal(got.p, l.small, sizeof(l.small));
	got.len = 0;
	assert_int_equal(read_file(&idx, &l, "big", &got, &err), 0);
	assert_int_equal(got.len, sizeof(l.big));
	assert_memory_equal(got.p, l.big, sizeof(l.big));
	/* a read across the chunks' edge, from the middle of one */
	got.len = 0;
	assert_int_equal(layer_read(&idx, read_at, &l.blob, 100 + 99000, 3000,
				    mem_sink, &got, &err), 0);
	assert_memory_equal(got.p, l.big + 99000, 3000);
	free(got.p);
	layer_index_free(&idx);
	free_layer(&l);
}

static void test_footer(void **state)
{
	struct error *err = NULL;
	struct layer l;
	uint8_t f[ESTARGZ_FOOTER_SIZE];
	uint64_t off;

	(void)state;
	make_layer(&l, good);
	memcpy(f, l.blob.p + l.blob.len - sizeof(f), sizeof(f));
	/* truncated */
	assert_int_equal(layer_estargz_footer(f + 1, sizeof(f) - 1, l.blob.len, &off, &err), -1);
	assert_non_null(strstr(err->msg, "footer of 50 bytes"));
	error_free(&err);
	/* a layer that ends in something else: the TOC's own last bytes */
	assert_int_equal(layer_estargz_footer(l.blob.p + l.toc_off, sizeof(f), l.blob.len,
					      &off, &err), -1);
	assert_non_null(strstr(err->msg, "not an empty gzip member"));
	error_free(&err);
	/* the magic changed (the header CRC is not set: zlib accepts it) */
	f[16 + 16] = 'X';
	assert_int_equal(layer_estargz_footer(f, sizeof(f), l.blob.len, &off, &err), -1);
	assert_non_null(strstr(err->msg, "without a STARGZ extra field"));
	error_free(&err);
	/* an offset that is not hex */
	memcpy(f, l.blob.p + l.blob.len - sizeof(f), sizeof(f));
	f[16] = 'g';
	assert_int_equal(layer_estargz_footer(f, sizeof(f), l.blob.len, &off, &err), -1);
	error_free(&err);
	/* the TOC past the footer, or larger than the limit */
	memcpy(f, l.blob.p + l.blob.len - sizeof(f), sizeof(f));
	assert_int_equal(layer_estargz_footer(f, sizeof(f), l.toc_off + ESTARGZ_FOOTER_SIZE,
					      &off, &err), -1);
	assert_non_null(strstr(err->msg, "not within the layer"));
	error_free(&err);
	assert_int_equal(layer_estargz_footer(f, sizeof(f), l.toc_off + LAYER_TOC_MAX + 100,
					      &off, &err), -1);
	assert_non_null(strstr(err->msg, "larger than"));
	error_free(&err);
	assert_int_equal(layer_estargz_footer(f, sizeof(f), l.blob.len, &off, &err), 0);
	assert_int_equal(off, l.toc_off);
	free_layer(&l);
}

static void test_toc_refused(void **state)
{
	struct layer_index idx;
	struct error *err = NULL;
	struct buf other = { 0 };
	struct layer l;

	(void)state;
	make_layer(&l, good);
	/* the annotation names another TOC */
	assert_int_equal(index_layer(&l, digest0, &idx, &err), -1);
	assert_non_null(strstr(err->msg, "TOC digest mismatch"));
	error_free(&err);
	assert_int_equal(index_layer(&l, "md5:00", &idx, &err), -1);
	error_free(&err);
	/* the TOC member is cut short */
	assert_int_equal(layer_estargz_index(l.blob.p + l.toc_off, 30, l.toc_off, l.toc_digest,
					     digest0, l.toc_off + 30 + ESTARGZ_FOOTER_SIZE,
					     &idx, &err), -1);
	error_free(&err);
	/* a tar whose entry is not the TOC */
	add_toc(&other, "etc/passwd", l.toc);
	assert_int_equal(layer_estargz_index(other.p, other.len, 0, l.toc_digest, digest0,
					     other.len + ESTARGZ_FOOTER_SIZE, &idx, &err), -1);
	assert_non_null(strstr(err->msg, "not stargz.index.json"));
	error_free(&err);
	free(other.p);
	free_layer(&l);
}

/* Each hostile TOC is refused as a whole, with what is wrong in the message. */
static void refused(const char *fmt, const char *why)
{
	struct layer_index idx;
	struct error *err = NULL;
	struct layer l;

	make_layer(&l, fmt);
	assert_int_equal(index_layer(&l, l.toc_digest, &idx, &err), -1);
	if (!strstr(err->msg, why))
		fail_msg("\"%s\" does not say \"%s\"", err->msg, why);
	error_free(&err);
	free_layer(&l);
}

/* GOOD with the first occurrence of FROM replaced by TO. */
static char *variant(const char *from, const char *to)
{
	const char *at = strstr(good, from);
	char *s;

	assert_non_null(at);
	assert_true(asprintf(&s, "%.*s%s%s", (int)(at - good), good, to, at + strlen(from)) > 0);
	return s;
}

static void test_hostile(void **state)
{
	static const struct { const char *from, *to, *why; } cases[] = {
		{ "\"name\":\"d/small\"", "\"name\":\"../small\"", "bad name" },
		{ "\"name\":\"d/small\"", "\"name\":\"/etc/small\"", "bad name" },
		{ "\"name\":\"empty\"", "\"name\":\"d\"", "named twice" },
		/* the small file's data past the TOC's start */
		{ "\"offset\":%zu,\"chunkDigest\"", "\"offset\":99999999,\"x\":%zu,\"chunkDigest\"",
		  "offset is not an integer" },
		/* big's data before small's */
		{ "\"offset\":%zu,\"chunkSize\":100000", "\"offset\":10,\"x\":%zu,\"chunkSize\":100000",
		  "not after the data before it" },
		/* a chunk that overflows its file */
		{ "\"chunkOffset\":100000,\"chunkSize\":150000", "\"chunkOffset\":100000,\"chunkSize\":9223372036854775807",
		  "chunkSize is not an integer" },
		{ "\"chunkOffset\":100000,\"chunkSize\":150000", "\"chunkOffset\":100000,\"chunkSize\":250000",
		  "overlaps or leaves a gap" },
		{ "\"chunkOffset\":250000", "\"chunkOffset\":250001", "overlaps or leaves a gap" },
		{ "\"chunkOffset\":250000", "\"chunkOffset\":250000,\"innerOffset\":7", "innerOffset" },
		{ "\"size\":100,", "\"size\":-1,", "size is not an integer" },
		{ "\"version\":1", "\"version\":2", "not a version 1 TOC" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *fmt = variant(cases[i].from, cases[i].to);

		refused(fmt, cases[i].why);
		free(fmt);
	}
}

static void test_wrong_chunk_eio(void **state)
{
	struct layer_index idx;
	struct error *err = NULL;
	struct buf got = { 0 };
	struct layer l;
	char *fmt = variant("\"chunkOffset\":100000,\"chunkSize\":150000,\"chunkDigest\":\"%s\"",
			    "\"chunkOffset\":100000,\"chunkSize\":150000,\"chunkDigest\":\"%.70s1\"");

	(void)state;
	/* the second chunk's digest with its last digit changed */
	make_layer(&l, fmt);
	if (index_layer(&l, l.toc_digest, &idx, &err) < 0)
		fail_msg("%s", err->msg);
	assert_int_equal(read_file(&idx, &l, "d/small", &got, &err), 0);
	got.len = 0;
	assert_int_equal(layer_read(&idx, read_at, &l.blob, 100, 100000, mem_sink, &got, &err), 0);
	assert_memory_equal(got.p, l.big, 100000);
	got.len = 0;
	assert_int_equal(read_file(&idx, &l, "big", &got, &err), -1);
	assert_int_equal(err->errnum, EIO);
	assert_non_null(strstr(err->msg, "does not match its digest"));
	/* nothing of the bad chunk was served */
	assert_int_equal(got.len, 100000);
	error_free(&err);
	free(got.p);
	layer_index_free(&idx);
	free_layer(&l);
	free(fmt);
}

/*
 * layer_read_span_whole (libdeflate, one call per member): each span of
 * the layer as layer_read gives it, from its start or inside it; a wrong
 * digest is EIO; a member holding more than the span and 64 KiB, bad
 * data or another compression are left to layer_read (0).
 */
static void test_whole_span(void **state)
{
	struct layer_index idx;
	struct error *err = NULL;
	struct buf got = { 0 }, want = { 0 }, member = { 0 };
	struct layer l;
	uint8_t *extra;
	char *fmt;

	(void)state;
	make_layer(&l, good);
	if (index_layer(&l, l.toc_digest, &idx, &err) < 0)
		fail_msg("%s", err->msg);
	for (uint32_t at = 0; at < idx.ncheckpoints; at++) {
		const struct layer_checkpoint *cp = &idx.checkpoints[at];
		uint64_t in_end = at + 1 < idx.ncheckpoints ? idx.checkpoints[at + 1].in_off :
							      l.toc_off;
		uint64_t out_end = at + 1 < idx.ncheckpoints ? idx.checkpoints[at + 1].out_off :
							       idx.uncompressed_size;
		uint64_t from = cp->out_off + (out_end - cp->out_off) / 3;

		got.len = want.len = 0;
		assert_int_equal(layer_read_span_whole(&idx, at, l.blob.p + cp->in_off,
						       in_end - cp->in_off, cp->out_off,
						       out_end - cp->out_off, mem_sink, &got, &err), 1);
		assert_int_equal(layer_read(&idx, read_at, &l.blob, cp->out_off,
					    out_end - cp->out_off, mem_sink, &want, &err), 0);
		assert_int_equal(got.len, want.len);
		assert_memory_equal(got.p, want.p, want.len);
		/* from a third into the span to its end */
		got.len = 0;
		assert_int_equal(layer_read_span_whole(&idx, at, l.blob.p + cp->in_off,
						       in_end - cp->in_off, from, out_end - from,
						       mem_sink, &got, &err), 1);
		assert_int_equal(got.len, out_end - from);
		assert_memory_equal(got.p, want.p + (from - cp->out_off), out_end - from);
	}
	/* big's second chunk (span 2, 150000 bytes) in a member with 70 KiB more */
	extra = malloc(150000 + (70 << 10));
	assert_non_null(extra);
	memcpy(extra, l.big + 100000, 150000);
	memset(extra + 150000, 7, 70 << 10);
	add_member(&member, extra, 150000 + (70 << 10), NULL);
	assert_int_equal(layer_read_span_whole(&idx, 2, member.p, member.len, 100 + 100000,
					       150000, mem_sink, &got, &err), 0);
	/* bad data, another compression: not taken either */
	member.p[member.len / 2] ^= 0xff;
	assert_int_equal(layer_read_span_whole(&idx, 2, member.p, member.len, 100 + 100000,
					       100, mem_sink, &got, &err), 0);
	idx.compression = LAYER_ZSTD;
	assert_int_equal(layer_read_span_whole(&idx, 1, l.blob.p + idx.checkpoints[1].in_off,
					       idx.checkpoints[2].in_off - idx.checkpoints[1].in_off,
					       100, 100, mem_sink, &got, &err), 0);
	idx.compression = LAYER_GZIP;
	assert_null(err);
	layer_index_free(&idx);
	free_layer(&l);
	/* the second chunk's digest wrong: EIO, nothing handed on */
	fmt = variant("\"chunkOffset\":100000,\"chunkSize\":150000,\"chunkDigest\":\"%s\"",
		      "\"chunkOffset\":100000,\"chunkSize\":150000,\"chunkDigest\":\"%.70s1\"");
	make_layer(&l, fmt);
	if (index_layer(&l, l.toc_digest, &idx, &err) < 0)
		fail_msg("%s", err->msg);
	got.len = 0;
	assert_int_equal(layer_read_span_whole(&idx, 2, l.blob.p + idx.checkpoints[2].in_off,
					       idx.checkpoints[3].in_off - idx.checkpoints[2].in_off,
					       100 + 100000, 150000, mem_sink, &got, &err), -1);
	assert_int_equal(err->errnum, EIO);
	assert_non_null(strstr(err->msg, "does not match its digest"));
	assert_int_equal(got.len, 0);
	error_free(&err);
	layer_index_free(&idx);
	free_layer(&l);
	free(fmt);
	free(extra);
	free(member.p);
	free(got.p);
	free(want.p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_and_read),
		cmocka_unit_test(test_footer),
		cmocka_unit_test(test_toc_refused),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_wrong_chunk_eio),
		cmocka_unit_test(test_whole_span),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
