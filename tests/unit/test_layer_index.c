// SPDX-License-Identifier: MIT
/*
 * Layer indexes: tars written in memory with libarchive, compressed
 * plain, gzip (one or several members) and zstd (one or several frames),
 * indexed, checked entry by entry, read back at every file and at random
 * ranges, encoded and decoded; hostile tars and damaged indexes fail
 * cleanly or are counted as rejected.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <locale.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "mem_buf.h"
#include "../../common/util.h"
#include "../../image/layer_index.h"

#define CHUNK (64u << 10)

/* --- byte buffers and a reproducible random source --- */


static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static uint8_t *random_bytes(size_t n)
{
	uint8_t *p = malloc(n ? n : 1);
	size_t i;

	assert_non_null(p);
	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(rnd() >> 24);
	return p;
}

/* Compressible but not trivially: deflate uses dynamic Huffman blocks. */
static uint8_t *text_bytes(size_t n)
{
	static const char *words[] = { "layer ", "index ", "overlay ", "lazy ",
		"chunk ", "zstd ", "gzip ", "window ", "tar ", "entry\n",
		"checkpoint ", "the ", "of ", "a ", "mount " };
	uint8_t *p = malloc(n);
	size_t o = 0;

	assert_non_null(p);
	while (o < n) {
		char num[16];
		const char *w = words[rnd() % 15];
		size_t l;

		if (rnd() % 4 == 0) {
			snprintf(num, sizeof(num), "%u ", (unsigned)(rnd() % 100000));
			w = num;
		}
		l = strlen(w);

		if (l > n - o)
			l = n - o;
		memcpy(p + o, w, l);
		o += l;
	}
	return p;
}

/* --- the tar contents --- */

struct xa {
	const char *name;
	const void *value;
	size_t size;
};

struct spec {
	const char *name;	/* as written in the tar */
	const char *path;	/* as the index must have it */
	mode_t mode;
	unsigned uid, gid;
	const uint8_t *data;
	size_t size;
	const char *symlink;
	const char *hardlink;	/* as written */
	const char *hl_path;	/* normalized */
	dev_t rdev;
	long mtime_ns;
	bool times;		/* atime and ctime set too */
	const struct xa *xattrs;
	unsigned nx;
};

static const uint8_t cap_value[20] = { 0x00, 0x00, 0x00, 0x02, 0x00, 0x04,
				       0x00, 0x00, 0x00, 0x00, 0x00, 0x00 };
static const struct xa small_xattrs[] = {
	{ "user.comment", "hello", 5 },
	{ "security.capability", cap_value, sizeof(cap_value) },
	{ "trusted.empty", "", 0 },
};

#define MTIME 1700000000

static struct fixture {
	uint8_t *big_random, *big_text, *small, *dup1, *dup2;
	char long_name[200], long_target[200], long_file[200];
	struct spec pax[32], gnu[16];
	size_t npax, ngnu;
	struct buf pax_tar, gnu_tar;
} fx;


static void write_tar(struct buf *out, int format, const struct spec *specs,
		      size_t n)
{
	/* names are UTF-8: the C locale would make pax refuse them */
	locale_t utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
	locale_t old = uselocale(utf8);
	struct archive *a = archive_write_new();
	size_t i;
	unsigned k;
	int r;

	assert_non_null(utf8);
	assert_non_null(a);
	assert_int_equal(archive_write_set_format(a, format), ARCHIVE_OK);
	assert_int_equal(archive_write_open(a, out, NULL, buf_archive_write, NULL), ARCHIVE_OK);
	for (i = 0; i < n; i++) {
		const struct spec *s = &specs[i];
		struct archive_entry *e = archive_entry_new();

		archive_entry_set_pathname(e, s->name);
		archive_entry_set_uid(e, s->uid);
		archive_entry_set_gid(e, s->gid);
		archive_entry_set_mtime(e, MTIME + (time_t)i, s->mtime_ns);
		if (s->times) {
			archive_entry_set_atime(e, MTIME - 100, 123456789);
			archive_entry_set_ctime(e, MTIME - 50, 987654321);
		}
		if (s->hardlink) {
			archive_entry_set_mode(e, S_IFREG | (s->mode & 07777));
			archive_entry_set_hardlink(e, s->hardlink);
			archive_entry_set_size(e, 0);
		} else {
			archive_entry_set_mode(e, s->mode);
			archive_entry_set_size(e, S_ISREG(s->mode) ? (la_int64_t)s->size : 0);
			if (s->symlink)
				archive_entry_set_symlink(e, s->symlink);
			if (s->rdev)
				archive_entry_set_rdev(e, s->rdev);
		}
		for (k = 0; k < s->nx; k++)
			archive_entry_xattr_add_entry(e, s->xattrs[k].name,
						      s->xattrs[k].value, s->xattrs[k].size);
		r = archive_write_header(a, e);
		if (r != ARCHIVE_OK)
			print_error("%s: %s\n", s->name, archive_error_string(a));
		assert_int_equal(r, ARCHIVE_OK);
		if (S_ISREG(s->mode) && !s->hardlink && s->size)
			assert_int_equal(archive_write_data(a, s->data, s->size),
					 (la_ssize_t)s->size);
		archive_entry_free(e);
	}
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
	uselocale(old);
	freelocale(utf8);
}

static struct spec *add(struct spec *list, size_t *n, struct spec s)
{
	list[*n] = s;
	return &list[(*n)++];
}

static int setup(void **state)
{
	struct spec *p = fx.pax;
	size_t *n = &fx.npax;

	(void)state;
	fx.big_random = random_bytes(5 * 1048576 + 12345);
	fx.big_text = text_bytes(6 * 1048576 + 999);
	fx.small = text_bytes(1000);
	fx.dup1 = random_bytes(700);
	fx.dup2 = random_bytes(1300);
	memset(fx.long_name, 0, sizeof(fx.long_name));
	strcpy(fx.long_name, "dir/");
	memset(fx.long_name + 4, 'n', 150);
	memset(fx.long_target, 't', 130);
	strcpy(fx.long_file, fx.long_name);
	strcat(fx.long_file, "/f");

	add(p, n, (struct spec){ .name = "./", .path = "", .mode = S_IFDIR | 0755 });
	add(p, n, (struct spec){ .name = "./dir/", .path = "dir", .mode = S_IFDIR | 0750,
				 .uid = 1000, .gid = 1001, .times = true });
	add(p, n, (struct spec){ .name = "./dir/empty", .path = "dir/empty",
				 .mode = S_IFREG | 0644 });
	add(p, n, (struct spec){ .name = "dir/small", .path = "dir/small",
				 .mode = S_IFREG | 0600, .data = fx.small, .size = 1000,
				 .mtime_ns = 5000, .times = true,
				 .xattrs = small_xattrs, .nx = 3 });
	add(p, n, (struct spec){ .name = "big_random", .path = "big_random",
				 .mode = S_IFREG | 0755, .data = fx.big_random,
				 .size = 5 * 1048576 + 12345 });
	add(p, n, (struct spec){ .name = "./big_text", .path = "big_text",
				 .mode = S_IFREG | 0644, .data = fx.big_text,
				 .size = 6 * 1048576 + 999 });
	add(p, n, (struct spec){ .name = "setuid", .path = "setuid",
				 .mode = S_IFREG | 04755, .data = fx.small, .size = 10 });
	add(p, n, (struct spec){ .name = "link", .path = "link", .mode = S_IFLNK | 0777,
				 .symlink = "dir/small" });
	add(p, n, (struct spec){ .name = "hard", .path = "hard", .mode = S_IFREG | 0600,
				 .hardlink = "./dir/small", .hl_path = "dir/small" });
	add(p, n, (struct spec){ .name = "fifo", .path = "fifo", .mode = S_IFIFO | 0640 });
	add(p, n, (struct spec){ .name = "null", .path = "null", .mode = S_IFCHR | 0666,
				 .rdev = makedev(1, 3) });
	add(p, n, (struct spec){ .name = "sda1", .path = "sda1", .mode = S_IFBLK | 0660,
				 .rdev = makedev(8, 1), .gid = 6 });
	add(p, n, (struct spec){ .name = fx.long_name, .path = fx.long_name,
				 .mode = S_IFDIR | 0755 });
	add(p, n, (struct spec){ .name = fx.long_file, .path = fx.long_file,
				 .mode = S_IFREG | 0644, .data = fx.dup1, .size = 700 });
	add(p, n, (struct spec){ .name = "longlink", .path = "longlink",
				 .mode = S_IFLNK | 0777, .symlink = fx.long_target });
	add(p, n, (struct spec){ .name = "dir/h\xc3\xa9llo \xe2\x9c\x93", .path = "dir/h\xc3\xa9llo \xe2\x9c\x93",
				 .mode = S_IFREG | 0644, .data = fx.small, .size = 33 });
	add(p, n, (struct spec){ .name = "dup", .path = "dup", .mode = S_IFREG | 0644,
				 .data = fx.dup1, .size = 700 });
	add(p, n, (struct spec){ .name = "dup", .path = "dup", .mode = S_IFREG | 0600,
				 .data = fx.dup2, .size = 1300 });
	add(p, n, (struct spec){ .name = "hard2", .path = "hard2", .mode = S_IFREG | 0644,
				 .hardlink = fx.long_file, .hl_path = fx.long_file });
	add(p, n, (struct spec){ .name = "tail", .path = "tail", .mode = S_IFREG | 0644,
				 .data = fx.dup2, .size = 511 });
	write_tar(&fx.pax_tar, ARCHIVE_FORMAT_TAR_PAX_INTERCHANGE, fx.pax, fx.npax);

	/* GNU tar: long names and link targets through 'L' and 'K' headers */
	p = fx.gnu;
	n = &fx.ngnu;
	add(p, n, (struct spec){ .name = "./", .path = "", .mode = S_IFDIR | 0755 });
	add(p, n, (struct spec){ .name = fx.long_name, .path = fx.long_name,
				 .mode = S_IFDIR | 0700 });
	add(p, n, (struct spec){ .name = fx.long_file, .path = fx.long_file,
				 .mode = S_IFREG | 0644, .data = fx.big_random, .size = 100000 });
	add(p, n, (struct spec){ .name = "longlink", .path = "longlink",
				 .mode = S_IFLNK | 0777, .symlink = fx.long_target });
	add(p, n, (struct spec){ .name = "h", .path = "h", .mode = S_IFREG | 0644,
				 .hardlink = fx.long_file, .hl_path = fx.long_file });
	add(p, n, (struct spec){ .name = "text", .path = "text", .mode = S_IFREG | 0640,
				 .data = fx.big_text, .size = 5 * 1048576 });
	add(p, n, (struct spec){ .name = "zero", .path = "zero", .mode = S_IFREG | 0640 });
	write_tar(&fx.gnu_tar, ARCHIVE_FORMAT_TAR_GNUTAR, fx.gnu, fx.ngnu);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free(fx.big_random);
	free(fx.big_text);
	free(fx.small);
	free(fx.dup1);
	free(fx.dup2);
	free(fx.pax_tar.p);
	free(fx.gnu_tar.p);
	return 0;
}

/* --- compressors --- */

static void gzip_member(struct buf *out, const uint8_t *p, size_t n, int level)
{
	z_stream z = { 0 };
	uint8_t tmp[65536];
	int ret;

	assert_int_equal(deflateInit2(&z, level, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY), Z_OK);
	z.next_in = (uint8_t *)p;
	z.avail_in = (uInt)n;
	do {
		z.next_out = tmp;
		z.avail_out = sizeof(tmp);
		ret = deflate(&z, Z_FINISH);
		assert_true(ret == Z_OK || ret == Z_STREAM_END || ret == Z_BUF_ERROR);
		buf_add(out, tmp, sizeof(tmp) - z.avail_out);
	} while (ret != Z_STREAM_END);
	deflateEnd(&z);
}

/* A frame zstd skips (zstd:chunked keeps its manifest in one). */
static void zstd_skippable(struct buf *out, size_t n)
{
	static const uint8_t magic[4] = { 0x50, 0x2a, 0x4d, 0x18 };
	uint8_t size[4] = { (uint8_t)n, (uint8_t)(n >> 8), (uint8_t)(n >> 16), 0 };
	uint8_t *junk = random_bytes(n);

	buf_add(out, magic, 4);
	buf_add(out, size, 4);
	buf_add(out, junk, n);
	free(junk);
}

static void zstd_frame(struct buf *out, const uint8_t *p, size_t n)
{
	size_t cap = ZSTD_compressBound(n), r;
	uint8_t *tmp = malloc(cap);

	assert_non_null(tmp);
	r = ZSTD_compress(tmp, cap, p, n, 3);
	assert_false(ZSTD_isError(r));
	buf_add(out, tmp, r);
	free(tmp);
}

enum comp { C_PLAIN, C_GZIP, C_GZIP_MEMBERS, C_ZSTD, C_ZSTD_FRAMES, C_COUNT };
static const char *comp_names[] = { "plain", "gzip", "gzip-members", "zstd", "zstd-frames" };

static struct buf compress_as(enum comp c, const struct buf *tar)
{
	struct buf out = { 0 };
	size_t piece, o;

	switch (c) {
	case C_PLAIN:
		buf_add(&out, tar->p, tar->len);
		break;
	case C_GZIP:
		gzip_member(&out, tar->p, tar->len, 6);
		break;
	case C_GZIP_MEMBERS:
		/*
		 * uneven members with their own levels, the first big enough
		 * for checkpoints inside it, an empty one in between
		 */
		piece = tar->len / 5;
		gzip_member(&out, tar->p, 3 * piece, 6);
		gzip_member(&out, tar->p + 3 * piece, piece, 1);
		gzip_member(&out, tar->p, 0, 6);
		gzip_member(&out, tar->p + 4 * piece, tar->len - 4 * piece, 9);
		break;
	case C_ZSTD:
		zstd_frame(&out, tar->p, tar->len);
		zstd_skippable(&out, 100);
		break;
	case C_ZSTD_FRAMES:
		/* 1 MiB frames, with an empty and a skippable frame after the first */
		for (o = 0; o < tar->len; o += piece) {
			piece = tar->len - o < 1048576 ? tar->len - o : 1048576;
			zstd_frame(&out, tar->p + o, piece);
			if (!o) {
				zstd_frame(&out, tar->p, 0);
				zstd_skippable(&out, 3000);
			}
		}
		zstd_skippable(&out, 10);
		break;
	default:
		fail();
	}
	return out;
}

/* --- readers and sinks --- */

struct mem_stream {
	const uint8_t *p;
	size_t len, pos, step;
};

static ssize_t mem_next(void *ctx, void *buf, size_t len, struct error **err)
{
	struct mem_stream *m = ctx;
	size_t n = m->len - m->pos;

	(void)err;
	if (n > len)
		n = len;
	if (n > m->step)
		n = m->step;
	memcpy(buf, m->p + m->pos, n);
	m->pos += n;
	return (ssize_t)n;
}

struct mem_at {
	const uint8_t *p;
	size_t len;
	uint32_t chunk;
	unsigned calls;
};

static int mem_read_at(void *ctx, uint64_t off, void *buf, size_t len,
		       struct error **err)
{
	struct mem_at *m = ctx;

	/* pieces never cross a chunk and are never larger than one */
	assert_true(len > 0 && len <= m->chunk);
	assert_int_equal(off / m->chunk, (off + len - 1) / m->chunk);
	if (off > m->len || len > m->len - off)
		return error_set(err, EIO, "read past the end");
	memcpy(buf, m->p + off, len);
	m->calls++;
	return 0;
}

static int buf_sink(void *ctx, const void *p, size_t n, struct error **err)
{
	(void)err;
	assert_true(n > 0);
	buf_add(ctx, p, n);
	return 0;
}

static int build(const struct buf *layer, size_t step, struct layer_index *idx,
		 struct error **err)
{
	struct mem_stream m = { layer->p, layer->len, 0, step };

	return layer_index_build(mem_next, &m, CHUNK, idx, err);
}

static void expect_read(const struct layer_index *idx, const struct buf *layer,
			uint64_t off, uint64_t len, const uint8_t *want)
{
	struct mem_at m = { layer->p, layer->len, idx->chunk_size, 0 };
	struct buf got = { 0 };
	struct error *err = NULL;
	int r = layer_read(idx, mem_read_at, &m, off, len, buf_sink, &got, &err);

	if (r < 0)
		print_error("layer_read %llu+%llu: %s\n", (unsigned long long)off,
			    (unsigned long long)len, err->msg);
	assert_int_equal(r, 0);
	assert_int_equal(got.len, len);
	if (len)
		assert_memory_equal(got.p, want, len);
	free(got.p);
}

/* --- checks --- */

static void check_hashes(const struct layer_index *idx, const struct buf *layer)
{
	uint8_t sum[32];
	char hex[72];
	unsigned int n;
	uint64_t i;
	int k;

	assert_int_equal(idx->compressed_size, layer->len);
	assert_int_equal(idx->nchunks, (layer->len + CHUNK - 1) / CHUNK);
	for (i = 0; i < idx->nchunks; i++) {
		size_t len = layer->len - i * CHUNK < CHUNK ? layer->len - i * CHUNK : CHUNK;

		assert_true(EVP_Digest(layer->p + i * CHUNK, len, sum, &n, EVP_sha256(), NULL));
		assert_memory_equal(idx->chunk_sha256[i], sum, 32);
	}
	assert_true(EVP_Digest(layer->p, layer->len, sum, &n, EVP_sha256(), NULL));
	strcpy(hex, "sha256:");
	for (k = 0; k < 32; k++)
		sprintf(hex + 7 + 2 * k, "%02x", sum[k]);
	assert_string_equal(idx->digest, hex);
}

static void check_entry(const struct layer_entry *e, const struct spec *s,
			size_t i, bool pax)
{
	unsigned k;

	assert_string_equal(e->path, s->path);
	assert_int_equal(e->mode, s->mode);
	assert_int_equal(e->uid, s->uid);
	assert_int_equal(e->gid, s->gid);
	assert_int_equal(e->mtime.tv_sec, MTIME + (time_t)i);
	assert_int_equal(e->mtime.tv_nsec, pax ? s->mtime_ns : 0);
	if (pax && s->times) {
		assert_int_equal(e->atime.tv_sec, MTIME - 100);
		assert_int_equal(e->atime.tv_nsec, 123456789);
		assert_int_equal(e->ctime.tv_sec, MTIME - 50);
		assert_int_equal(e->ctime.tv_nsec, 987654321);
	} else {
		assert_int_equal(e->atime.tv_sec, e->mtime.tv_sec);
		assert_int_equal(e->ctime.tv_sec, e->mtime.tv_sec);
	}
	if (s->hardlink) {
		assert_int_equal(e->kind, LAYER_ENTRY_HARDLINK);
		assert_string_equal(e->hardlink, s->hl_path);
		assert_int_equal(e->size, 0);
	} else {
		assert_int_equal(e->kind, LAYER_ENTRY_NORMAL);
		assert_null(e->hardlink);
		assert_int_equal(e->size, S_ISREG(s->mode) ? s->size : 0);
	}
	if (s->symlink)
		assert_string_equal(e->link, s->symlink);
	else
		assert_null(e->link);
	assert_int_equal(e->rdev, s->rdev);
	assert_int_equal(e->nxattrs, s->nx);
	for (k = 0; k < s->nx; k++) {
		unsigned j;

		/* the order is libarchive's: find each by name */
		for (j = 0; j < e->nxattrs; j++)
			if (!strcmp(e->xattrs[j].name, s->xattrs[k].name))
				break;
		assert_true(j < e->nxattrs);
		assert_int_equal(e->xattrs[j].size, s->xattrs[k].size);
		if (s->xattrs[k].size)
			assert_memory_equal(e->xattrs[j].value, s->xattrs[k].value,
					    s->xattrs[k].size);
	}
}

static void check_index_equal(const struct layer_index *a, const struct layer_index *b)
{
	uint32_t i, k;

	assert_int_equal(a->version, b->version);
	assert_int_equal(a->compression, b->compression);
	assert_string_equal(a->digest, b->digest);
	assert_int_equal(a->compressed_size, b->compressed_size);
	assert_int_equal(a->uncompressed_size, b->uncompressed_size);
	assert_int_equal(a->chunk_size, b->chunk_size);
	assert_int_equal(a->nchunks, b->nchunks);
	assert_memory_equal(a->chunk_sha256, b->chunk_sha256, a->nchunks * 32);
	assert_int_equal(a->seekable, b->seekable);
	assert_int_equal(a->ncheckpoints, b->ncheckpoints);
	for (i = 0; i < a->ncheckpoints; i++) {
		const struct layer_checkpoint *x = &a->checkpoints[i], *y = &b->checkpoints[i];

		assert_int_equal(x->in_off, y->in_off);
		assert_int_equal(x->in_bits, y->in_bits);
		assert_int_equal(x->out_off, y->out_off);
		assert_int_equal(!x->window, !y->window);
		if (x->window) {
			/* kept as stored, not inflated */
			assert_int_equal(x->window_kind, y->window_kind);
			assert_int_equal(x->window_len, y->window_len);
			assert_memory_equal(x->window, y->window, x->window_len);
		}
	}
	assert_int_equal(a->nentries, b->nentries);
	assert_int_equal(a->rejected, b->rejected);
	for (i = 0; i < a->nentries; i++) {
		const struct layer_entry *x = &a->entries[i], *y = &b->entries[i];

		assert_string_equal(x->path, y->path);
		assert_int_equal(x->kind, y->kind);
		assert_int_equal(!x->hardlink, !y->hardlink);
		if (x->hardlink)
			assert_string_equal(x->hardlink, y->hardlink);
		assert_int_equal(!x->link, !y->link);
		if (x->link)
			assert_string_equal(x->link, y->link);
		assert_int_equal(x->mode, y->mode);
		assert_int_equal(x->uid, y->uid);
		assert_int_equal(x->gid, y->gid);
		assert_int_equal(x->size, y->size);
		assert_int_equal(x->rdev, y->rdev);
		assert_int_equal(x->data_off, y->data_off);
		assert_memory_equal(&x->atime, &y->atime, sizeof(x->atime));
		assert_memory_equal(&x->mtime, &y->mtime, sizeof(x->mtime));
		assert_memory_equal(&x->ctime, &y->ctime, sizeof(x->ctime));
		assert_int_equal(x->nxattrs, y->nxattrs);
		for (k = 0; k < x->nxattrs; k++) {
			assert_string_equal(x->xattrs[k].name, y->xattrs[k].name);
			assert_int_equal(x->xattrs[k].size, y->xattrs[k].size);
			assert_memory_equal(x->xattrs[k].value, y->xattrs[k].value,
					    x->xattrs[k].size);
		}
	}
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

static void round_trip(const struct layer_index *idx)
{
	struct buf enc = encode(idx);
	struct layer_index back;
	struct error *err = NULL;

	if (layer_index_decode(enc.p, enc.len, &back, &err) < 0)
		print_error("decode: %s\n", err->msg);
	assert_null(err);
	check_index_equal(idx, &back);
	layer_index_free(&back);
	free(enc.p);
}

/* gzip checkpoints inside a byte seen so far (inflatePrime on read) */
static unsigned resumed_mid_byte;

static void check_layer(const struct buf *tar, const struct spec *specs, size_t n,
			enum comp c, bool pax)
{
	struct buf layer = compress_as(c, tar);
	struct layer_index idx;
	struct error *err = NULL;
	const struct layer_entry *e;
	uint32_t i, windows = 0, starts = 0, bits = 0;
	int r;

	r = build(&layer, 7777 + 1000 * c, &idx, &err);
	if (r < 0)
		print_error("%s: %s\n", comp_names[c], err->msg);
	assert_int_equal(r, 0);
	assert_int_equal(idx.compression, c == C_PLAIN ? LAYER_PLAIN :
			 c <= C_GZIP_MEMBERS ? LAYER_GZIP : LAYER_ZSTD);
	assert_int_equal(idx.uncompressed_size, tar->len);
	assert_int_equal(idx.rejected, 0);
	assert_int_equal(idx.nentries, n);
	check_hashes(&idx, &layer);

	/* checkpoints: sorted, and where each format puts them */
	assert_int_equal(idx.checkpoints[0].out_off, 0);
	for (i = 0; i < idx.ncheckpoints; i++) {
		windows += !!idx.checkpoints[i].window;
		starts += !idx.checkpoints[i].window;
		bits += idx.checkpoints[i].in_bits != 0;
		if (i)
			assert_true(idx.checkpoints[i].out_off > idx.checkpoints[i - 1].out_off);
	}
	switch (c) {
	case C_PLAIN:
		assert_int_equal(idx.ncheckpoints, 1);
		break;
	case C_GZIP:
		assert_int_equal(starts, 1);
		assert_true(windows >= tar->len / LAYER_CHECKPOINT_SPAN - 1);
		resumed_mid_byte += bits;
		break;
	case C_GZIP_MEMBERS:
		assert_int_equal(starts, 3);
		if (tar->len / 5 * 3 > LAYER_CHECKPOINT_SPAN + 100000)
			assert_true(windows >= 1);
		resumed_mid_byte += bits;
		break;
	case C_ZSTD:
		assert_int_equal(idx.ncheckpoints, 1);
		assert_false(idx.seekable);
		break;
	case C_ZSTD_FRAMES:
		assert_int_equal(idx.ncheckpoints, (tar->len + 1048575) / 1048576);
		assert_true(idx.seekable);
		break;
	default:
		break;
	}
	if (c != C_ZSTD)
		assert_true(idx.seekable);

	/* every entry as written; every file's bytes where data_off says */
	for (i = 0; i < n; i++) {
		e = &idx.entries[i];
		check_entry(e, &specs[i], i, pax);
		if (S_ISREG(e->mode) && e->kind == LAYER_ENTRY_NORMAL)
			expect_read(&idx, &layer, e->data_off, e->size, specs[i].data);
	}

	/* random ranges of the stream, and ranges across every checkpoint */
	for (i = 0; i < 24; i++) {
		uint64_t off = rnd() % tar->len, len = rnd() % (i < 20 ? 200000 : 3000000);

		if (len > tar->len - off)
			len = tar->len - off;
		expect_read(&idx, &layer, off, len, tar->p + off);
	}
	for (i = 1; i < idx.ncheckpoints; i++) {
		uint64_t off = idx.checkpoints[i].out_off - 1000, len = 5000;

		if (len > tar->len - off)
			len = tar->len - off;
		expect_read(&idx, &layer, off, len, tar->p + off);
		expect_read(&idx, &layer, idx.checkpoints[i].out_off, 1,
			    tar->p + idx.checkpoints[i].out_off);
		expect_read(&idx, &layer, off + 999, 1, tar->p + off + 999);
	}
	expect_read(&idx, &layer, tar->len - 1, 1, tar->p + tar->len - 1);
	expect_read(&idx, &layer, 0, tar->len, tar->p);
	expect_read(&idx, &layer, tar->len, 0, NULL);

	/* past the end */
	{
		struct mem_at m = { layer.p, layer.len, CHUNK, 0 };
		struct buf got = { 0 };

		assert_int_equal(layer_read(&idx, mem_read_at, &m, tar->len, 1,
					    buf_sink, &got, &err), -1);
		assert_int_equal(err->errnum, ERANGE);
		error_free(&err);
		assert_int_equal(layer_read(&idx, mem_read_at, &m, 5, UINT64_MAX,
					    buf_sink, &got, &err), -1);
		error_free(&err);
		assert_int_equal(m.calls, 0);
	}
	round_trip(&idx);
	layer_index_free(&idx);
	free(layer.p);
}

static void test_pax(void **state)
{
	int c;

	(void)state;
	for (c = 0; c < C_COUNT; c++)
		check_layer(&fx.pax_tar, fx.pax, fx.npax, c, true);
}

static void test_gnutar(void **state)
{
	int c;

	(void)state;
	for (c = 0; c < C_COUNT; c++)
		check_layer(&fx.gnu_tar, fx.gnu, fx.ngnu, c, false);
	assert_true(resumed_mid_byte > 0);
}

/* Zeros after the last member or frame are padding; anything else is not. */
static void test_trailing(void **state)
{
	struct buf tar = { 0 }, layer;
	struct layer_index idx;
	struct error *err = NULL;
	static const uint8_t zeros[3000];
	int c;

	(void)state;
	write_tar(&tar, ARCHIVE_FORMAT_TAR_USTAR, fx.pax + 2, 2);
	for (c = 0; c < C_COUNT; c++) {
		layer = compress_as(c, &tar);
		/* a byte at a time: the magic and every boundary split */
		assert_int_equal(build(&layer, 1, &idx, &err), 0);
		check_hashes(&idx, &layer);
		layer_index_free(&idx);
		buf_add(&layer, zeros, sizeof(zeros));
		assert_int_equal(build(&layer, 100000, &idx, &err), 0);
		check_hashes(&idx, &layer);
		layer_index_free(&idx);
		buf_add(&layer, "junk", 4);
		assert_int_equal(build(&layer, 100000, &idx, &err), -1);
		assert_non_null(strstr(err->msg, c == C_PLAIN ? "after the end of the tar" : "garbage"));
		error_free(&err);
		free(layer.p);
	}
	free(tar.p);
}

/* --- hostile tars, written header by header --- */

static void raw_entry(struct buf *b, const char *name, char type, size_t size,
		      const char *link, const void *data, size_t data_len)
{
	static const uint8_t zeros[512];
	char h[512];
	unsigned sum = 0, i;

	memset(h, 0, sizeof(h));
	strncpy(h, name, 100);
	memcpy(h + 100, "0000644", 8);
	memcpy(h + 108, "0000000", 8);
	memcpy(h + 116, "0000000", 8);
	snprintf(h + 124, 12, "%011zo", size);
	snprintf(h + 136, 12, "%011o", MTIME);
	memset(h + 148, ' ', 8);
	h[156] = type;
	if (link)
		strncpy(h + 157, link, 100);
	memcpy(h + 257, "ustar", 6);
	memcpy(h + 263, "00", 2);
	for (i = 0; i < 512; i++)
		sum += (unsigned char)h[i];
	snprintf(h + 148, 8, "%06o", sum);
	buf_add(b, h, 512);
	if (data_len) {
		buf_add(b, data, data_len);
		if (data_len % 512)
			buf_add(b, zeros, 512 - data_len % 512);
	}
}

static void raw_end(struct buf *b)
{
	static const uint8_t zeros[1024];

	buf_add(b, zeros, sizeof(zeros));
}

static void test_hostile_names(void **state)
{
	struct buf tar = { 0 }, layer;
	struct layer_index idx;
	struct error *err = NULL;
	static const char *kept[] = { "ok", "a/b", "x", "later", "d", "ok2" };
	uint32_t i;
	int c;

	(void)state;
	raw_entry(&tar, "ok", '0', 5, NULL, "hello", 5);
	raw_entry(&tar, "../x", '0', 5, NULL, "hello", 5);
	raw_entry(&tar, "/etc/passwd", '0', 5, NULL, "hello", 5);
	raw_entry(&tar, "a/../../x", '0', 0, NULL, NULL, 0);
	raw_entry(&tar, "a//b/", '5', 0, NULL, NULL, 0);
	raw_entry(&tar, "h1", '1', 0, "../../etc/shadow", NULL, 0);
	raw_entry(&tar, "h2", '1', 0, "/etc/shadow", NULL, 0);
	raw_entry(&tar, "h3", '1', 0, "unknown", NULL, 0);
	raw_entry(&tar, "h4", '1', 0, "later", NULL, 0);
	raw_entry(&tar, "x", '0', 1, NULL, "x", 1);
	raw_entry(&tar, "later", '0', 1, NULL, "l", 1);
	raw_entry(&tar, "d", '5', 0, NULL, NULL, 0);
	raw_entry(&tar, "h5", '1', 0, "d", NULL, 0);
	raw_entry(&tar, "h6", '1', 0, "h6", NULL, 0);
	raw_entry(&tar, "./", '2', 0, "x", NULL, 0);
	raw_entry(&tar, ".", '1', 0, "ok", NULL, 0);
	raw_entry(&tar, "", '0', 0, NULL, NULL, 0);
	raw_entry(&tar, "s", '2', 0, "", NULL, 0);
	raw_entry(&tar, "bad\x1b[31m/..", '0', 0, NULL, NULL, 0);
	raw_entry(&tar, "ok2", '1', 0, "./ok", NULL, 0);
	raw_end(&tar);
	for (c = 0; c < C_COUNT; c++) {
		layer = compress_as(c, &tar);
		if (build(&layer, 5000, &idx, &err) < 0)
			print_error("%s\n", err->msg);
		assert_null(err);
		assert_int_equal(idx.nentries, ARRAY_SIZE(kept));
		for (i = 0; i < idx.nentries; i++)
			assert_string_equal(idx.entries[i].path, kept[i]);
		assert_int_equal(idx.rejected, 20 - ARRAY_SIZE(kept));
		assert_string_equal(idx.entries[5].hardlink, "ok");
		assert_int_equal(idx.entries[5].mode, S_IFREG | 0644);
		round_trip(&idx);
		layer_index_free(&idx);
		free(layer.p);
	}
	free(tar.p);
}

static void expect_build_error(const struct buf *layer, const char *what)
{
	struct layer_index idx;
	struct error *err = NULL;

	memset(&idx, 0x5a, sizeof(idx));
	assert_int_equal(build(layer, 3000, &idx, &err), -1);
	assert_non_null(err);
	if (!strstr(err->msg, what))
		print_error("want \"%s\" in \"%s\"\n", what, err->msg);
	assert_non_null(strstr(err->msg, what));
	assert_null(idx.entries);
	assert_int_equal(idx.nentries, 0);
	error_free(&err);
}

static void test_hostile_streams(void **state)
{
	struct buf tar = { 0 }, layer = { 0 }, gz;
	uint8_t *data = random_bytes(300000);
	int c;

	(void)state;
	/* a file longer than the stream */
	raw_entry(&tar, "short", '0', 10000, NULL, data, 100);
	for (c = 0; c < C_COUNT; c++) {
		layer = compress_as(c, &tar);
		expect_build_error(&layer, "runcated");
		free(layer.p);
	}
	free(tar.p);

	/* a file running into what follows: its size covers the end blocks */
	tar = (struct buf){ 0 };
	raw_entry(&tar, "over", '0', 1024 + 513, NULL, data, 512);
	raw_end(&tar);
	expect_build_error(&tar, "runcated");
	free(tar.p);

	/* truncated and corrupt compressed streams */
	tar = (struct buf){ 0 };
	raw_entry(&tar, "f", '0', 300000, NULL, data, 300000);
	raw_end(&tar);
	gz = compress_as(C_GZIP, &tar);
	layer = (struct buf){ 0 };
	buf_add(&layer, gz.p, gz.len - 100);
	expect_build_error(&layer, "truncated gzip");
	layer.len = 1;
	expect_build_error(&layer, "");
	layer.len = 3;
	expect_build_error(&layer, "gzip");
	layer.len = 0;
	expect_build_error(&layer, "tar");
	layer.len = 0;
	buf_add(&layer, gz.p, gz.len);
	layer.p[gz.len / 2] ^= 0x55;
	layer.p[gz.len / 2 + 1] ^= 0x55;
	expect_build_error(&layer, "gzip");
	layer.len = 0;
	buf_add(&layer, gz.p, gz.len);
	layer.p[gz.len - 5] ^= 1;	/* the length in the trailer */
	expect_build_error(&layer, "corrupt gzip");
	free(gz.p);
	free(layer.p);

	gz = compress_as(C_ZSTD, &tar);
	layer = (struct buf){ 0 };
	buf_add(&layer, gz.p, gz.len - 10);
	expect_build_error(&layer, "truncated zstd");
	layer.len = 0;
	buf_add(&layer, gz.p, gz.len);
	layer.p[4] = 0xff;	/* reserved bit of the frame header */
	expect_build_error(&layer, "zstd");
	free(gz.p);
	free(layer.p);
	free(tar.p);

	/* not a tar at all; a damaged header */
	layer = (struct buf){ 0 };
	buf_add(&layer, data, 20000);
	layer.p[0] = 'x';
	expect_build_error(&layer, "tar");
	free(layer.p);
	tar = (struct buf){ 0 };
	raw_entry(&tar, "a", '0', 1, NULL, "a", 1);
	raw_entry(&tar, "b", '0', 1, NULL, "b", 1);
	raw_end(&tar);
	tar.p[1024 + 10] ^= 1;
	expect_build_error(&tar, "amaged");
	free(tar.p);
	free(data);
}

static void test_sparse(void **state)
{
	struct archive *a = archive_write_new();
	struct archive_entry *e = archive_entry_new();
	struct buf tar = { 0 };
	static const uint8_t data[4096] = { 1, 2, 3 };

	(void)state;
	assert_int_equal(archive_write_set_format_pax(a), ARCHIVE_OK);
	assert_int_equal(archive_write_open(a, &tar, NULL, buf_archive_write, NULL), ARCHIVE_OK);
	archive_entry_set_pathname(e, "sparse");
	archive_entry_set_mode(e, S_IFREG | 0644);
	archive_entry_set_size(e, 1 << 20);
	archive_entry_sparse_add_entry(e, 0, 4096);
	archive_entry_sparse_add_entry(e, 512 << 10, 4096);
	assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
	assert_int_equal(archive_write_data(a, data, 4096), 4096);
	assert_int_equal(archive_write_data(a, data, 4096), 4096);
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
	archive_entry_free(e);
	expect_build_error(&tar, "sparse entries are not supported");
	free(tar.p);
}

/* --- checkpoint spacing --- */

static int build_spaced(const struct buf *layer, uint64_t span,
			struct layer_index *idx, struct error **err)
{
	struct mem_stream m = { layer->p, layer->len, 0, 100000 };

	return layer_index_build_spaced(mem_next, &m, CHUNK, span, idx, err);
}

/*
 * Closer gzip checkpoints (layer_index_build_spaced): about one per span
 * of output, never closer than decode allows in compressed bytes (a run
 * of zeros deflates ~1000:1), and every file reads right from them.
 */
static void test_checkpoint_span(void **state)
{
	struct archive *a = archive_write_new();
	struct archive_entry *e = archive_entry_new();
	const size_t n = 2u << 20;
	uint8_t *rnd_data = random_bytes(n), *zeros = calloc(1, n);
	struct buf tar = { 0 }, gz = { 0 };
	struct layer_index idx, dflt;
	struct error *err = NULL;
	const char *names[] = { "random", "zeros" };
	const uint8_t *data[] = { rnd_data, zeros };
	uint32_t i, nwin = 0;

	(void)state;
	assert_non_null(zeros);
	assert_int_equal(archive_write_set_format_pax_restricted(a), ARCHIVE_OK);
	assert_int_equal(archive_write_open(a, &tar, NULL, buf_archive_write, NULL), ARCHIVE_OK);
	for (i = 0; i < 2; i++) {
		archive_entry_clear(e);
		archive_entry_set_pathname(e, names[i]);
		archive_entry_set_mode(e, S_IFREG | 0644);
		archive_entry_set_size(e, (la_int64_t)n);
		assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
		assert_int_equal(archive_write_data(a, data[i], n), (la_ssize_t)n);
	}
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
	archive_entry_free(e);
	gzip_member(&gz, tar.p, tar.len, 6);

	assert_int_equal(build_spaced(&gz, 100, &idx, &err), -1);
	assert_int_equal(err->errnum, EINVAL);
	error_free(&err);

	assert_int_equal(build_spaced(&gz, 128u << 10, &idx, &err), 0);
	assert_int_equal(build(&gz, 100000, &dflt, &err), 0);
	for (i = 1; i < idx.ncheckpoints; i++) {
		const struct layer_checkpoint *cp = &idx.checkpoints[i];

		assert_true(cp->out_off - cp[-1].out_off >= (128u << 10));
		if (cp->window) {
			assert_true(cp->in_off - cp[-1].in_off >= 2048);
			nwin++;
		}
	}
	/* 2 MiB of random data: about 16; the zeros: far fewer */
	assert_true(nwin >= 14 && nwin <= 40);
	assert_true(dflt.ncheckpoints == 1);
	round_trip(&idx);
	for (i = 0; i < idx.nentries; i++) {
		const struct layer_entry *f = &idx.entries[i];
		const uint8_t *want = data[strcmp(f->path, "random") ? 1 : 0];

		assert_int_equal(f->size, n);
		expect_read(&idx, &gz, f->data_off, n, want);
		expect_read(&idx, &gz, f->data_off + n - 70000, 70000, want + n - 70000);
	}
	/* from each checkpoint, across into the next span */
	for (i = 0; i < idx.ncheckpoints; i++) {
		uint64_t off = idx.checkpoints[i].out_off;
		uint64_t len = idx.uncompressed_size - off < 200000 ?
			       idx.uncompressed_size - off : 200000;

		expect_read(&idx, &gz, off, len, tar.p + off);
	}
	layer_index_free(&idx);
	layer_index_free(&dflt);
	free(tar.p);
	free(gz.p);
	free(rnd_data);
	free(zeros);
}

/* --- damaged indexes --- */

static void fix_trailer(struct buf *b)
{
	unsigned int n;

	assert_true(EVP_Digest(b->p, b->len - 32, b->p + b->len - 32, &n,
			       EVP_sha256(), NULL));
}

static void decode_damaged(const struct buf *enc, size_t pos, uint8_t x,
			   bool fix)
{
	struct buf b = { 0 };
	struct layer_index idx;
	struct error *err = NULL;
	int r;

	buf_add(&b, enc->p, enc->len);
	b.p[pos] ^= x;
	if (fix)
		fix_trailer(&b);
	r = layer_index_decode(b.p, b.len, &idx, &err);
	if (!fix)
		assert_int_equal(r, -1);
	if (r < 0) {
		assert_non_null(err);
		assert_non_null(strstr(err->msg, "index: "));
		error_free(&err);
	} else {
		assert_null(err);
		layer_index_free(&idx);
	}
	free(b.p);
}

static void check_damage(const struct buf *tar, enum comp c, size_t samples)
{
	struct buf layer = compress_as(c, tar), enc;
	struct layer_index idx;
	struct error *err = NULL;
	size_t len, i;

	assert_int_equal(build(&layer, 65536, &idx, &err), 0);
	enc = encode(&idx);
	layer_index_free(&idx);
	/* every truncation, or a sample of them for large files */
	for (i = 0; i < (samples ? samples : enc.len); i++) {
		len = samples ? rnd() % enc.len : i;
		assert_int_equal(layer_index_decode(enc.p, len, &idx, &err), -1);
		assert_non_null(err);
		error_free(&err);
	}
	/* flips: caught by the checksum, and with it fixed by the checks */
	for (i = 0; i < (samples ? samples : enc.len - 32); i++) {
		size_t pos = samples ? rnd() % (enc.len - 32) : i;
		uint8_t x = (uint8_t)(rnd() % 255 + 1);

		decode_damaged(&enc, pos, x, false);
		decode_damaged(&enc, pos, x, true);
	}
	free(enc.p);
	free(layer.p);
}

static void test_damaged_index(void **state)
{
	struct buf small = { 0 };

	(void)state;
	write_tar(&small, ARCHIVE_FORMAT_TAR_PAX_INTERCHANGE, fx.pax, 4);
	check_damage(&small, C_GZIP, 0);
	check_damage(&small, C_ZSTD_FRAMES, 0);
	check_damage(&fx.pax_tar, C_GZIP, 1500);
	check_damage(&fx.pax_tar, C_ZSTD_FRAMES, 500);
	free(small.p);
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

/* Hand-made bad fields, each with a valid checksum: the checks' messages. */
static void test_decode_messages(void **state)
{
	struct buf tar = { 0 }, layer, enc, b;
	struct layer_index idx;
	struct error *err = NULL;

	(void)state;
	write_tar(&tar, ARCHIVE_FORMAT_TAR_PAX_INTERCHANGE, fx.pax + 2, 2);
	layer = compress_as(C_GZIP, &tar);
	assert_int_equal(build(&layer, 65536, &idx, &err), 0);
	assert_int_equal(idx.nentries, 2);
	/* an entry whose name is too long for the rest of the file */
	free(idx.entries[1].path);
	idx.entries[1].path = strdup("../evil");
	enc = encode(&idx);
	expect_decode_error(&enc, "entry 1: bad name");
	b = (struct buf){ 0 };
	buf_add(&b, enc.p, enc.len);
	/* the name length of entry 1: 92 bytes in, after entry 0's strings */
	{
		size_t e1 = 88 + idx.nchunks * 32 + 22 + 92 + strlen(idx.entries[0].path) +
			    0 + 0;
		uint32_t k;

		for (k = 0; k < idx.entries[0].nxattrs; k++)
			e1 += 8 + strlen(idx.entries[0].xattrs[k].name) + idx.entries[0].xattrs[k].size;
		b.p[e1 + 76] = 0xa0;
		b.p[e1 + 77] = 0x0f;	/* 4000 */
		fix_trailer(&b);
		expect_decode_error(&b, "index: entry 1: name length 4000 past end of file");
	}
	free(b.p);
	b = (struct buf){ 0 };
	buf_add(&b, enc.p, enc.len);
	b.p[8] = 3;
	fix_trailer(&b);
	expect_decode_error(&b, "version 3 not supported");
	b.p[8] = 1;
	b.p[40] ^= 1;	/* nchunks */
	fix_trailer(&b);
	expect_decode_error(&b, "chunks for");
	b.p[40] ^= 1;
	b.p[0] = 'X';
	expect_decode_error(&b, "bad magic");
	free(b.p);
	free(enc.p);
	layer_index_free(&idx);
	free(layer.p);
	free(tar.p);
}

static void test_load(void **state)
{
	char path[] = "/tmp/ovlmig-index.XXXXXX";
	struct buf layer = compress_as(C_ZSTD_FRAMES, &fx.gnu_tar);
	struct layer_index idx, back;
	struct error *err = NULL;
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(build(&layer, 1 << 20, &idx, &err), 0);
	assert_int_equal(layer_index_encode(&idx, fd, &err), 0);
	close(fd);
	assert_int_equal(layer_index_load(path, &back, &err), 0);
	check_index_equal(&idx, &back);
	layer_index_free(&back);
	assert_int_equal(truncate(path, 100), 0);
	assert_int_equal(layer_index_load(path, &back, &err), -1);
	assert_non_null(strstr(err->msg, path));
	error_free(&err);
	unlink(path);
	assert_int_equal(layer_index_load(path, &back, &err), -1);
	assert_int_equal(err->errnum, ENOENT);
	error_free(&err);
	layer_index_free(&idx);
	free(layer.p);
	assert_string_equal(layer_compression_name(LAYER_ZSTD), "zstd");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pax),
		cmocka_unit_test(test_gnutar),
		cmocka_unit_test(test_trailing),
		cmocka_unit_test(test_hostile_names),
		cmocka_unit_test(test_hostile_streams),
		cmocka_unit_test(test_sparse),
		cmocka_unit_test(test_checkpoint_span),
		cmocka_unit_test(test_damaged_index),
		cmocka_unit_test(test_decode_messages),
		cmocka_unit_test(test_load),
	};

	return cmocka_run_group_tests_name("layer_index", tests, setup, teardown);
}
