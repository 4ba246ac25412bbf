// SPDX-License-Identifier: MIT
/*
 * The seekable companion (image/companion.h): a gzip'd tar written in
 * memory with libarchive, indexed, re-encoded as a companion, and the
 * companion indexed in turn: the same entries at the same offsets, a
 * frame (checkpoint) at each file's data and at most 1 MiB apart, every
 * file read back through the companion's index; it decompresses to the
 * tar's sha256. Then what must fail: a flipped byte, another diff_id,
 * entries that differ, a layer that is not the indexed one, hostile
 * offsets and sizes in the layer's index.
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
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "mem_buf.h"
#include "../../image/companion.h"
#include "../../image/digest.h"
#include "../../image/layer_index.h"



#define NFILES 5
static const char *names[NFILES] = { "d/small", "d/empty", "d/big", "d/text", "d/one" };
static const size_t sizes[NFILES] = { 100, 0, (5u << 19) + 7, 300000, 1 };

static struct {
	uint8_t *data[NFILES];
	struct buf tar, gz;
	char tar_sha[DIGEST_STRLEN + 1];
	struct layer_index idx;		/* of the gzip layer */
	struct layer_index comp;	/* of its companion */
	int fd;				/* the companion */
	uint8_t *cbytes;
	size_t clen;
} F;

static void add(struct archive *a, const char *name, mode_t mode,
		const void *data, size_t size, const char *sym, const char *hard)
{
	struct archive_entry *e = archive_entry_new();

	archive_entry_set_pathname(e, name);
	archive_entry_set_mode(e, mode);
	archive_entry_set_size(e, size);
	archive_entry_set_mtime(e, 1700000000, 123456789);
	archive_entry_set_uid(e, 1000);
	archive_entry_set_gid(e, 100);
	if (sym)
		archive_entry_set_symlink(e, sym);
	if (hard)
		archive_entry_set_hardlink(e, hard);
	if (!strcmp(name, "d/small"))
		archive_entry_xattr_add_entry(e, "user.note", "hi", 2);
	assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
	if (size)
		assert_int_equal(archive_write_data(a, data, size), (la_ssize_t)size);
	archive_entry_free(e);
}

static void make_tar(void)
{
	struct archive *a = archive_write_new();
	uint64_t s = 0x1234567;

	for (int i = 0; i < NFILES; i++) {
		F.data[i] = malloc(sizes[i] + 1);
		assert_non_null(F.data[i]);
		for (size_t k = 0; k < sizes[i]; k++) {
			s ^= s << 13, s ^= s >> 7, s ^= s << 17;
			/* d/text compresses, the others do not */
			F.data[i][k] = i == 3 ? "layer index "[k % 12] : (uint8_t)(s >> 24);
		}
	}
	assert_int_equal(archive_write_set_format_pax(a), ARCHIVE_OK);
	assert_int_equal(archive_write_open(a, &F.tar, NULL, buf_archive_write, NULL), ARCHIVE_OK);
	add(a, "d", AE_IFDIR | 0755, NULL, 0, NULL, NULL);
	for (int i = 0; i < NFILES; i++)
		add(a, names[i], AE_IFREG | 0644, F.data[i], sizes[i], NULL, NULL);
	add(a, "d/ln", AE_IFLNK | 0777, NULL, 0, "small", NULL);
	add(a, "d/hl", AE_IFREG | 0644, NULL, 0, NULL, "d/small");
	add(a, "d/fifo", AE_IFIFO | 0600, NULL, 0, NULL, NULL);
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
	assert_int_equal(digest_of(F.tar.p, F.tar.len, F.tar_sha), 0);
}

static void gzip_tar(void)
{
	z_stream z = { 0 };
	uint8_t out[65536];
	int r;

	assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
	z.next_in = F.tar.p;
	z.avail_in = (uInt)F.tar.len;
	do {
		z.next_out = out;
		z.avail_out = sizeof(out);
		r = deflate(&z, Z_FINISH);
		buf_add(&F.gz, out, sizeof(out) - z.avail_out);
	} while (r == Z_OK);
	assert_int_equal(r, Z_STREAM_END);
	deflateEnd(&z);
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

static int setup(void **state)
{
	struct error *err = NULL;
	struct mem m;
	char unc[DIGEST_STRLEN + 1];

	(void)state;
	make_tar();
	gzip_tar();
	m = (struct mem){ F.gz.p, F.gz.len, 0 };
	assert_int_equal(layer_index_build(mem_next, &m, 32768, &F.idx, &err), 0);
	F.fd = memfd_create("companion", MFD_CLOEXEC);
	assert_true(F.fd >= 0);
	m.pos = 0;
	if (companion_write(mem_next, &m, &F.idx, 0, F.fd, unc, &err) < 0)
		fail_msg("%s", err->msg);
	assert_string_equal(unc, F.tar_sha);
	assert_int_equal(lseek(F.fd, 0, SEEK_SET), 0);
	assert_int_equal(layer_index_build(layer_fd_next, &F.fd, 16384, &F.comp, &err), 0);
	F.clen = (size_t)F.comp.compressed_size;
	F.cbytes = malloc(F.clen);
	assert_non_null(F.cbytes);
	assert_int_equal(pread(F.fd, F.cbytes, F.clen, 0), (ssize_t)F.clen);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	layer_index_free(&F.idx);
	layer_index_free(&F.comp);
	close(F.fd);
	for (int i = 0; i < NFILES; i++)
		free(F.data[i]);
	free(F.tar.p);
	free(F.gz.p);
	free(F.cbytes);
	return 0;
}

static const struct layer_entry *entry(const struct layer_index *idx, const char *path)
{
	for (uint32_t i = 0; i < idx->nentries; i++)
		if (!strcmp(idx->entries[i].path, path))
			return &idx->entries[i];
	fail_msg("no entry %s", path);
	return NULL;
}

static void round_trip(void **state)
{
	struct error *err = NULL;
	uint8_t (*spans)[32] = NULL;

	(void)state;
	assert_int_equal(F.comp.compression, LAYER_ZSTD);
	assert_true(F.comp.seekable);
	assert_int_equal(F.comp.uncompressed_size, F.tar.len);
	assert_int_equal(F.comp.nentries, F.idx.nentries);
	if (companion_entries_equal(&F.idx, &F.comp, &err) < 0)
		fail_msg("%s", err->msg);
	if (companion_verify(F.fd, &F.idx, &F.comp, F.tar_sha, &spans, &err) < 0)
		fail_msg("%s", err->msg);
	/* each span's digest: the sha256 of the tar's bytes between checkpoints */
	for (uint32_t k = 0; k < F.comp.ncheckpoints; k++) {
		uint64_t a = F.comp.checkpoints[k].out_off;
		uint64_t b = k + 1 < F.comp.ncheckpoints ? F.comp.checkpoints[k + 1].out_off : F.tar.len;
		uint8_t md[32];

		assert_int_equal(sha256_buf(F.tar.p + a, (size_t)(b - a), md), 0);
		assert_memory_equal(md, spans[k], 32);
	}
	free(spans);
	/* independent of the code: the tar's own bytes at each entry's offset */
	for (int i = 0; i < NFILES; i++) {
		const struct layer_entry *e = entry(&F.comp, names[i]);

		assert_int_equal(e->size, sizes[i]);
		assert_true(e->data_off + e->size <= F.tar.len);
		assert_memory_equal(F.tar.p + e->data_off, F.data[i], sizes[i]);
	}
	assert_int_equal(entry(&F.comp, "d/small")->nxattrs, 1);
	assert_string_equal(entry(&F.comp, "d/ln")->link, "small");
}

/* A frame starts at each file's data; none holds more than 1 MiB. */
static void frames(void **state)
{
	uint32_t k;

	(void)state;
	for (int i = 0; i < NFILES; i++) {
		const struct layer_entry *e = entry(&F.comp, names[i]);
		bool found = false;

		if (!e->size)
			continue;
		for (k = 0; k < F.comp.ncheckpoints; k++)
			found |= F.comp.checkpoints[k].out_off == e->data_off;
		assert_true(found);
	}
	for (k = 0; k + 1 < F.comp.ncheckpoints; k++)
		assert_true(F.comp.checkpoints[k + 1].out_off - F.comp.checkpoints[k].out_off <=
			    COMPANION_FRAME_MAX);
	/* 4 files with data, the 2.5 MiB one in 3 frames, the headers before the first */
	assert_true(F.comp.ncheckpoints >= 7);
}

static int mem_read_at(void *ctx, uint64_t off, void *buf, size_t len, struct error **err)
{
	(void)ctx;
	if (off > F.clen || len > F.clen - off)
		return error_set(err, ERANGE, "past the companion");
	memcpy(buf, F.cbytes + off, len);
	return 0;
}

static int sink(void *ctx, const void *buf, size_t len, struct error **err)
{
	(void)err;
	buf_add(ctx, buf, len);
	return 0;
}

/* Read through the companion's index: each file, and a range of the big one. */
static void read_back(void **state)
{
	struct error *err = NULL;

	(void)state;
	for (int i = 0; i < NFILES; i++) {
		const struct layer_entry *e = entry(&F.comp, names[i]);
		struct buf got = { 0 };

		if (!sizes[i])
			continue;
		if (layer_read(&F.comp, mem_read_at, NULL, e->data_off, e->size, sink, &got, &err) < 0)
			fail_msg("%s", err->msg);
		assert_int_equal(got.len, sizes[i]);
		assert_memory_equal(got.p, F.data[i], sizes[i]);
		free(got.p);
	}
	{
		const struct layer_entry *e = entry(&F.comp, "d/big");
		struct buf got = { 0 };

		assert_int_equal(layer_read(&F.comp, mem_read_at, NULL, e->data_off + 2000000, 4096,
					    sink, &got, &err), 0);
		assert_memory_equal(got.p, F.data[2] + 2000000, 4096);
		free(got.p);
	}
}

static int temp_with(const uint8_t *p, size_t len)
{
	int fd = memfd_create("bad", MFD_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, p, len), (ssize_t)len);
	return fd;
}

static void flipped_byte(void **state)
{
	struct error *err = NULL;
	uint8_t (*spans)[32] = NULL;
	uint8_t *bad = malloc(F.clen);
	int fd;

	(void)state;
	memcpy(bad, F.cbytes, F.clen);
	bad[F.clen / 2] ^= 0x40;
	fd = temp_with(bad, F.clen);
	assert_int_equal(companion_verify(fd, &F.idx, &F.comp, F.tar_sha, &spans, &err), -1);
	assert_null(spans);
	assert_non_null(err);
	error_free(&err);
	close(fd);
	free(bad);
}

static void other_diff_id(void **state)
{
	struct error *err = NULL;
	uint8_t (*spans)[32] = NULL;
	char other[DIGEST_STRLEN + 1];

	(void)state;
	memcpy(other, F.tar_sha, sizeof(other));
	other[10] = other[10] == '0' ? '1' : '0';
	assert_int_equal(companion_verify(F.fd, &F.idx, &F.comp, other, &spans, &err), -1);
	assert_null(spans);
	assert_non_null(strstr(err->msg, "decompresses to"));
	error_free(&err);
}

static void entries_differ(void **state)
{
	struct error *err = NULL;
	uint8_t (*spans)[32] = NULL;
	struct layer_entry *e = (struct layer_entry *)entry(&F.comp, "d/text");
	mode_t mode = e->mode;
	uint64_t off = e->data_off;

	(void)state;
	e->mode ^= 0100;
	assert_int_equal(companion_entries_equal(&F.idx, &F.comp, &err), -1);
	assert_non_null(strstr(err->msg, "d/text"));
	assert_non_null(strstr(err->msg, "mode"));
	error_free(&err);
	e->mode = mode;
	e->data_off = off + 512;
	assert_int_equal(companion_verify(F.fd, &F.idx, &F.comp, F.tar_sha, &spans, &err), -1);
	assert_non_null(strstr(err->msg, "offset"));
	error_free(&err);
	e->data_off = off;
}

/* The layer streamed must be the indexed one. */
static void not_the_layer(void **state)
{
	struct error *err = NULL;
	struct layer_index other = F.idx;
	struct mem m = { F.gz.p, F.gz.len, 0 };
	char unc[DIGEST_STRLEN + 1];
	int fd = memfd_create("c", MFD_CLOEXEC);

	(void)state;
	other.digest[20] = other.digest[20] == 'a' ? 'b' : 'a';
	assert_int_equal(companion_write(mem_next, &m, &other, 3, fd, unc, &err), -1);
	assert_non_null(strstr(err->msg, "not the indexed"));
	error_free(&err);
	/* a truncated layer: the stream's own checks */
	m = (struct mem){ F.gz.p, F.gz.len / 2, 0 };
	assert_int_equal(companion_write(mem_next, &m, &F.idx, 19, fd, unc, &err), -1);
	error_free(&err);
	close(fd);
}

/* Offsets and sizes past the stream cut nothing and overflow nothing. */
static void hostile_sizes(void **state)
{
	struct error *err = NULL;
	struct layer_index h = F.idx;
	struct layer_entry *es = calloc(h.nentries, sizeof(*es));
	struct mem m = { F.gz.p, F.gz.len, 0 };
	char unc[DIGEST_STRLEN + 1];
	int fd = memfd_create("c", MFD_CLOEXEC);
	struct stat st;

	(void)state;
	memcpy(es, F.idx.entries, h.nentries * sizeof(*es));
	h.entries = es;
	for (uint32_t i = 0; i < h.nentries; i++)
		if (S_ISREG(es[i].mode)) {
			es[i].data_off = UINT64_MAX - i;
			es[i].size = UINT64_MAX;
		}
	if (companion_write(mem_next, &m, &h, 1, fd, unc, &err) < 0)
		fail_msg("%s", err->msg);
	assert_string_equal(unc, F.tar_sha);
	/* frames of 1 MiB only, still the tar */
	assert_int_equal(fstat(fd, &st), 0);
	assert_true(st.st_size > 0);
	free(es);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(round_trip),
		cmocka_unit_test(frames),
		cmocka_unit_test(read_back),
		cmocka_unit_test(flipped_byte),
		cmocka_unit_test(other_diff_id),
		cmocka_unit_test(entries_differ),
		cmocka_unit_test(not_the_layer),
		cmocka_unit_test(hostile_sizes),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
