// SPDX-License-Identifier: MIT
/* The verified chunk cache, over a local file (no server needed). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../common/fsutil.h"
#include "../../common/util.h"
#include "../../image/blob.h"
#include "../../image/blob_spool.h"
#include "../../image/digest.h"
#include "../../image/fetch.h"

#define CHUNK (64u << 10)
#define SIZE (20 * CHUNK + 1234)	/* the last chunk is short */
#define NCHUNKS (SIZE / CHUNK + 1)

struct fix {
	char dir[64];
	char *path;		/* the "remote" blob */
	char *cache;
	uint8_t *data;
	uint8_t (*sha)[32];
	char digest[DIGEST_STRLEN + 1];
	struct fetcher *f;
};

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static int setup(void **state)
{
	struct fix *x = calloc(1, sizeof(*x));
	struct error *err = NULL;
	uint64_t seed = 88172645463325252ull;
	int fd;

	strcpy(x->dir, "/tmp/test_blob.XXXXXX");
	assert_non_null(mkdtemp(x->dir));
	x->path = path_join(x->dir, "layer.tar.gz");
	x->cache = path_join(x->dir, "cache");
	x->data = malloc(SIZE);
	x->sha = malloc(NCHUNKS * 32);
	for (size_t i = 0; i < SIZE; i++)
		x->data[i] = (uint8_t)rnd(&seed);
	for (size_t c = 0; c < NCHUNKS; c++) {
		size_t len = c == NCHUNKS - 1 ? SIZE - c * CHUNK : CHUNK;

		assert_int_equal(sha256_buf(x->data + c * CHUNK, len, x->sha[c]), 0);
	}
	assert_int_equal(digest_of(x->data, SIZE, x->digest), 0);
	fd = open(x->path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write_all(fd, x->data, SIZE), 0);
	close(fd);
	assert_int_equal(fetcher_new(NULL, &x->f, &err), 0);
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct fix *x = *state;
	struct error *err = NULL;

	fetcher_free(x->f);
	assert_int_equal(remove_tree(x->dir, &err), 0);
	free(x->path);
	free(x->cache);
	free(x->data);
	free(x->sha);
	free(x);
	return 0;
}

static struct blob *open_blob(struct fix *x, const char *cache)
{
	struct error *err = NULL;
	struct blob *b = NULL;

	if (blob_open(x->f, x->path, x->digest, SIZE, CHUNK,
		      (const uint8_t (*)[32])x->sha, NCHUNKS, cache, &b, &err) < 0)
		fail_msg("blob_open: %s", err->msg);
	return b;
}

static void check_read(struct fix *x, struct blob *b, uint64_t off, size_t len)
{
	struct error *err = NULL;
	uint8_t *buf = malloc(len ? len : 1);

	if (blob_read(b, off, buf, len, &err) < 0)
		fail_msg("blob_read %llu+%zu: %s", (unsigned long long)off, len, err->msg);
	assert_memory_equal(buf, x->data + off, len);
	free(buf);
}

static void random_reads(struct fix *x, struct blob *b, uint64_t seed, int n)
{
	for (int i = 0; i < n; i++) {
		uint64_t off = rnd(&seed) % SIZE;
		size_t len = (size_t)(rnd(&seed) % (3 * CHUNK));

		if (len > SIZE - off)
			len = (size_t)(SIZE - off);
		check_read(x, b, off, len);
	}
}

static void test_random_reads(void **state)
{
	struct fix *x = *state;
	struct blob *b = open_blob(x, x->cache);
	struct error *err = NULL;
	struct blob_stats st;

	random_reads(x, b, 12345, 200);
	check_read(x, b, SIZE - 1, 1);
	check_read(x, b, 0, SIZE);
	blob_stats(b, &st);
	assert_int_equal(st.nchunks, NCHUNKS);
	assert_int_equal(st.chunks_fetched, NCHUNKS);	/* each chunk once */
	assert_int_equal(st.chunks_cached, NCHUNKS);
	assert_int_equal(st.bytes_fetched, SIZE);
	assert_int_equal(st.mismatches, 0);
	assert_true(st.verified);
	assert_int_equal(blob_read(b, SIZE - 10, (char[11]){ 0 }, 11, &err), -1);
	assert_int_equal(err->errnum, EINVAL);
	error_free(&err);
	blob_close(b);
}

static void test_reuse_after_reopen(void **state)
{
	struct fix *x = *state;
	struct blob *b = open_blob(x, x->cache);
	struct error *err = NULL;
	struct blob_stats st;

	check_read(x, b, 0, 3 * CHUNK);		/* chunks 0-2 */
	check_read(x, b, 10 * CHUNK + 5, 10);	/* chunk 10 */
	blob_close(b);

	b = open_blob(x, x->cache);
	blob_stats(b, &st);
	assert_int_equal(st.chunks_cached, 4);
	assert_false(st.verified);
	assert_true(blob_chunk_present(b, 1));
	assert_false(blob_chunk_present(b, 3));
	check_read(x, b, CHUNK / 2, 2 * CHUNK);
	check_read(x, b, 10 * CHUNK, CHUNK);
	blob_stats(b, &st);
	assert_int_equal(st.chunks_fetched, 0);

	/* complete it: checked whole now, and at the next open */
	assert_int_equal(blob_fetch_chunks(b, 0, NCHUNKS, &err), 0);
	blob_stats(b, &st);
	assert_int_equal(st.chunks_fetched, NCHUNKS - 4);
	assert_true(st.verified);
	blob_close(b);
	b = open_blob(x, x->cache);
	blob_stats(b, &st);
	assert_true(st.verified);
	random_reads(x, b, 777, 50);
	blob_stats(b, &st);
	assert_int_equal(st.chunks_fetched, 0);
	blob_close(b);
}

static void bad_hash(struct fix *x, const char *cache)
{
	struct error *err = NULL;
	uint8_t *buf = malloc(3 * CHUNK);
	struct blob_stats st;
	struct blob *b;

	x->sha[2][0] ^= 1;
	b = open_blob(x, cache);
	memset(buf, 0xa5, 3 * CHUNK);
	assert_int_equal(blob_read(b, CHUNK, buf, 3 * CHUNK, &err), -1);
	assert_int_equal(err->errnum, EIO);
	assert_non_null(strstr(err->msg, "chunk 2 of sha256:"));
	assert_non_null(strstr(err->msg, "sha256 mismatch twice"));
	error_free(&err);
	for (size_t i = 0; i < 3 * CHUNK; i++)
		if (buf[i] != 0xa5 && buf[i] != x->data[CHUNK + i])
			fail_msg("byte %zu of the failed read is wrong", i);
	for (size_t i = CHUNK; i < 2 * CHUNK; i++)	/* chunk 2: nothing */
		assert_int_equal(buf[i], 0xa5);
	blob_stats(b, &st);
	assert_int_equal(st.mismatches, 2);
	assert_false(blob_chunk_present(b, 2));
	/* the other chunks still read */
	check_read(x, b, 0, CHUNK);
	check_read(x, b, 3 * CHUNK, CHUNK);
	blob_close(b);
	x->sha[2][0] ^= 1;
	free(buf);
}

static void test_bad_chunk_hash(void **state)
{
	struct fix *x = *state;

	bad_hash(x, x->cache);
}

static void test_bad_chunk_hash_no_cache(void **state)
{
	struct fix *x = *state;

	bad_hash(x, NULL);
}

static void corrupt(struct fix *x, uint64_t off)
{
	char *path;
	uint8_t byte;
	int fd;

	assert_true(asprintf(&path, "%s/blobs/%s.data", x->cache, x->digest + 7) > 0);
	fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &byte, 1, (off_t)off), 1);
	byte ^= 0x40;
	assert_int_equal(pwrite(fd, &byte, 1, (off_t)off), 1);
	close(fd);
	free(path);
}

static void test_corrupt_cached_chunk(void **state)
{
	struct fix *x = *state;
	struct blob_stats st;
	struct blob *b = open_blob(x, x->cache);

	check_read(x, b, 0, 5 * CHUNK);
	blob_close(b);
	corrupt(x, 3 * CHUNK + 17);	/* map byte still says present */
	b = open_blob(x, x->cache);
	check_read(x, b, 3 * CHUNK, CHUNK);
	blob_stats(b, &st);
	assert_int_equal(st.mismatches, 1);
	assert_int_equal(st.chunks_fetched, 1);
	check_read(x, b, 0, 5 * CHUNK);
	blob_stats(b, &st);
	assert_int_equal(st.chunks_fetched, 1);
	blob_close(b);
}

static void test_corrupt_complete_blob(void **state)
{
	struct fix *x = *state;
	struct error *err = NULL;
	struct blob_stats st;
	struct blob *b = open_blob(x, x->cache);

	assert_int_equal(blob_fetch_chunks(b, 0, NCHUNKS, &err), 0);
	blob_close(b);
	corrupt(x, 7 * CHUNK);
	b = open_blob(x, x->cache);	/* the whole check fails, finds chunk 7 */
	blob_stats(b, &st);
	assert_false(st.verified);
	assert_int_equal(st.chunks_cached, NCHUNKS - 1);
	assert_false(blob_chunk_present(b, 7));
	assert_int_equal(st.mismatches, 1);
	check_read(x, b, 7 * CHUNK, 10);
	blob_stats(b, &st);
	assert_true(st.verified);
	assert_int_equal(st.chunks_fetched, 1);
	random_reads(x, b, 4242, 20);
	blob_close(b);
}

static void test_wrong_digest(void **state)
{
	struct fix *x = *state;
	struct error *err = NULL;
	struct blob_stats st;
	char byte;
	struct blob *b;

	/* every chunk matches the table, the whole does not match the digest */
	x->digest[10] = x->digest[10] == '0' ? '1' : '0';
	b = open_blob(x, x->cache);
	check_read(x, b, 0, CHUNK);
	assert_int_equal(blob_fetch_chunks(b, 0, NCHUNKS, &err), -1);
	assert_int_equal(err->errnum, EIO);
	assert_non_null(strstr(err->msg, "does not match its digest"));
	error_free(&err);
	blob_stats(b, &st);
	assert_false(st.verified);
	assert_int_equal(st.chunks_cached, 0);
	assert_int_equal(st.chunks_fetched, NCHUNKS);
	assert_int_equal(blob_read(b, 0, &byte, 1, &err), -1);
	assert_int_equal(err->errnum, EIO);
	error_free(&err);
	blob_close(b);
}

/* Fetch chunk C alone: one window, stored on its own. */
static void fetch_one(struct blob *b, uint64_t c)
{
	struct error *err = NULL;

	if (blob_fetch_chunks(b, c, 1, &err) < 0)
		fail_msg("fetch chunk %llu: %s", (unsigned long long)c, err->msg);
}

/* Filled in byte order: the digest is known without reading the file again. */
static void test_in_order_fill_reads_nothing_back(void **state)
{
	struct fix *x = *state;
	struct blob_stats st;
	struct blob *b = open_blob(x, x->cache);

	for (uint64_t c = 0; c < NCHUNKS; c++) {
		fetch_one(b, c);
		blob_stats(b, &st);
		assert_int_equal(st.verified, c == NCHUNKS - 1);
	}
	assert_int_equal(st.whole_checks, 0);
	assert_int_equal(st.chunks_reread, 0);
	assert_int_equal(st.chunks_fetched, NCHUNKS);
	check_read(x, b, 0, SIZE);
	blob_close(b);
	/* found complete at open: checked whole, as before */
	b = open_blob(x, x->cache);
	blob_stats(b, &st);
	assert_true(st.verified);
	assert_int_equal(st.whole_checks, 1);
	blob_close(b);
}

/* Backwards: each chunk waits for chunk 0, then is read back once. */
static void test_reverse_fill_reads_back_once(void **state)
{
	struct fix *x = *state;
	struct blob_stats st;
	struct blob *b = open_blob(x, x->cache);

	for (uint64_t c = NCHUNKS; c-- > 0;)
		fetch_one(b, c);
	blob_stats(b, &st);
	assert_true(st.verified);
	assert_int_equal(st.whole_checks, 0);
	assert_int_equal(st.chunks_reread, NCHUNKS - 1);
	check_read(x, b, 0, SIZE);
	blob_close(b);
}

/* Scattered reads first, then the rest in order; and a fill resumed. */
static void test_scattered_fill_verified(void **state)
{
	struct fix *x = *state;
	struct blob_stats st;
	struct blob *b = open_blob(x, x->cache);

	check_read(x, b, 9 * CHUNK + 5, 100);
	check_read(x, b, 3 * CHUNK, 2 * CHUNK);
	fetch_one(b, NCHUNKS - 1);
	blob_close(b);
	/* reopened: the chunks present are read back as the prefix grows */
	b = open_blob(x, x->cache);
	for (uint64_t c = 0; c < NCHUNKS; c++)
		if (!blob_chunk_present(b, c))
			fetch_one(b, c);
	blob_stats(b, &st);
	assert_true(st.verified);
	assert_int_equal(st.whole_checks, 0);
	assert_int_equal(st.chunks_reread, 4);	/* 3, 4, 9 and the last */
	check_read(x, b, 0, SIZE);
	blob_close(b);
}

/* A chunk table that contradicts the digest, filled in order: still caught. */
static void test_wrong_digest_in_order(void **state)
{
	struct fix *x = *state;
	struct error *err = NULL;
	struct blob_stats st;
	char byte;
	struct blob *b;

	x->digest[20] = x->digest[20] == 'a' ? 'b' : 'a';
	b = open_blob(x, x->cache);
	for (uint64_t c = 0; c < NCHUNKS - 1; c++)
		fetch_one(b, c);
	assert_int_equal(blob_fetch_chunks(b, NCHUNKS - 1, 1, &err), -1);
	assert_int_equal(err->errnum, EIO);
	assert_non_null(strstr(err->msg, "does not match its digest"));
	error_free(&err);
	blob_stats(b, &st);
	assert_false(st.verified);
	assert_int_equal(st.whole_checks, 1);	/* the mismatch is confirmed */
	assert_int_equal(st.chunks_cached, 0);
	assert_int_equal(blob_read(b, 0, &byte, 1, &err), -1);
	assert_int_equal(err->errnum, EIO);
	error_free(&err);
	blob_close(b);
}

struct reader {
	struct fix *x;
	struct blob *b;
	uint64_t seed;
	int bad;
};

static void *reader_main(void *arg)
{
	struct reader *r = arg;
	uint8_t *buf = malloc(3 * CHUNK);

	for (int i = 0; i < 150; i++) {
		struct error *err = NULL;
		uint64_t off = rnd(&r->seed) % SIZE;
		size_t len = (size_t)(rnd(&r->seed) % (3 * CHUNK));

		if (len > SIZE - off)
			len = (size_t)(SIZE - off);
		if (blob_read(r->b, off, buf, len, &err) < 0) {
			error_free(&err);
			r->bad++;
		} else if (memcmp(buf, r->x->data + off, len)) {
			r->bad++;
		}
	}
	free(buf);
	return NULL;
}

static void threads(struct fix *x, const char *cache)
{
	struct reader r[8];
	pthread_t t[8];
	struct blob_stats st;
	struct blob *b = open_blob(x, cache);

	for (int i = 0; i < 8; i++) {
		r[i] = (struct reader){ .x = x, .b = b, .seed = 1000 + (uint64_t)i };
		assert_int_equal(pthread_create(&t[i], NULL, reader_main, &r[i]), 0);
	}
	for (int i = 0; i < 8; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_int_equal(r[i].bad, 0);
	}
	blob_stats(b, &st);
	if (cache) {
		/* nobody downloaded a chunk another reader was fetching */
		assert_int_equal(st.chunks_fetched, st.chunks_cached);
		assert_int_equal(st.bytes_fetched <= SIZE, 1);
	}
	blob_close(b);
}

static void test_parallel_readers(void **state)
{
	threads(*state, ((struct fix *)*state)->cache);
}

static void test_parallel_readers_no_cache(void **state)
{
	threads(*state, NULL);
}

static void test_no_cache_keeps_no_files(void **state)
{
	struct fix *x = *state;
	struct error *err = NULL;
	struct blob_stats st;
	struct blob *b = open_blob(x, NULL);

	random_reads(x, b, 99, 30);
	assert_false(blob_chunk_present(b, 0));
	assert_int_equal(blob_fetch_chunks(b, 0, 2, &err), 0);
	blob_stats(b, &st);
	assert_int_equal(st.chunks_cached, 0);
	assert_true(st.chunks_fetched > 0);
	blob_close(b);
	assert_int_equal(access(x->cache, F_OK), -1);
}

static void test_wipe(void **state)
{
	struct fix *x = *state;
	struct error *err = NULL;
	struct blob_stats st;
	struct blob *b = open_blob(x, x->cache);
	char *data, *map;

	assert_true(asprintf(&data, "%s/blobs/%s.data", x->cache, x->digest + 7) > 0);
	assert_true(asprintf(&map, "%s/blobs/%s.map", x->cache, x->digest + 7) > 0);
	check_read(x, b, 0, 2 * CHUNK);
	assert_int_equal(access(data, F_OK), 0);
	assert_int_equal(access(map, F_OK), 0);
	assert_int_equal(blob_wipe(b, &err), 0);
	assert_int_equal(access(data, F_OK), -1);
	assert_int_equal(access(map, F_OK), -1);
	blob_stats(b, &st);
	assert_int_equal(st.chunks_cached, 0);
	check_read(x, b, CHUNK, 2 * CHUNK);	/* still reads, from the source */
	assert_int_equal(access(data, F_OK), -1);
	blob_close(b);
	free(data);
	free(map);
}

static void test_cache_file_modes(void **state)
{
	struct fix *x = *state;
	struct blob *b = open_blob(x, x->cache);
	struct stat st;
	char *data;

	assert_true(asprintf(&data, "%s/blobs/%s.data", x->cache, x->digest + 7) > 0);
	assert_int_equal(stat(data, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal((uint64_t)st.st_size, SIZE);
	assert_true((uint64_t)st.st_blocks * 512 < SIZE);	/* sparse until read */
	blob_close(b);
	free(data);
}

static void test_bad_arguments(void **state)
{
	struct fix *x = *state;
	struct error *err = NULL;
	struct blob *b = NULL;

	assert_int_equal(blob_open(x->f, x->path, "sha256:XYZ", SIZE, CHUNK,
				   (const uint8_t (*)[32])x->sha, NCHUNKS, NULL, &b, &err), -1);
	assert_int_equal(err->errnum, EINVAL);
	error_free(&err);
	assert_int_equal(blob_open(x->f, x->path, x->digest, SIZE, CHUNK,
				   (const uint8_t (*)[32])x->sha, NCHUNKS - 1, NULL, &b, &err), -1);
	assert_int_equal(err->errnum, EINVAL);
	error_free(&err);
	assert_int_equal(blob_open(x->f, "/nonexistent/blob", x->digest, SIZE, CHUNK,
				   (const uint8_t (*)[32])x->sha, NCHUNKS, NULL, &b, &err), 0);
	assert_int_equal(blob_read(b, 0, (char[8]){ 0 }, 8, &err), -1);
	assert_int_equal(err->errnum, ENOENT);
	assert_non_null(strstr(err->msg, "chunk 0 of sha256:"));
	error_free(&err);
	blob_close(b);
}

static void test_fetcher_local(void **state)
{
	struct fix *x = *state;
	struct error *err = NULL;
	char a[100], b[100], *body, *ct = (char *)"x", *url;
	struct fetch_range r[2] = {
		{ .off = 0, .len = sizeof(a), .buf = a },
		{ .off = SIZE - 50, .len = sizeof(b), .buf = b },
	};
	struct fetch_stats st;
	uint64_t size;
	size_t len;

	assert_int_equal(fetcher_size(x->f, x->path, &size, &err), 0);
	assert_int_equal(size, SIZE);
	assert_true(asprintf(&url, "file://%s", x->path) > 0);
	assert_int_equal(fetcher_get_ranges(x->f, url, r, 2, &err), -1);
	assert_int_equal(r[0].errnum, 0);
	assert_int_not_equal(r[1].errnum, 0);
	assert_memory_equal(a, x->data, sizeof(a));
	assert_non_null(strstr(err->msg, "the file has"));
	error_free(&err);
	assert_int_equal(fetcher_get(x->f, url, 100, &body, &len, &ct, &err), -1);
	assert_int_equal(err->errnum, EFBIG);
	error_free(&err);
	assert_int_equal(fetcher_get(x->f, url, SIZE, &body, &len, &ct, &err), 0);
	assert_int_equal(len, SIZE);
	assert_null(ct);
	assert_memory_equal(body, x->data, SIZE);
	free(body);
	fetcher_stats(x->f, &st);
	assert_true(st.bytes >= SIZE + sizeof(a));
	free(url);
}

/* A stream kept whole and committed: the blob is complete, nothing fetched. */
static void test_spool_commit(void **state)
{
	struct fix *x = *state;
	struct error *err = NULL;
	struct blob_spool *sp = NULL;
	struct blob_stats st;
	struct blob *b;

	assert_int_equal(blob_spool_new(x->cache, &sp, &err), 0);
	for (size_t off = 0; off < SIZE; off += 10000)
		assert_int_equal(blob_spool_write(sp, x->data + off,
						  SIZE - off < 10000 ? SIZE - off : 10000, &err), 0);
	assert_int_equal(blob_spool_commit(sp, x->digest, SIZE, CHUNK, &err), 0);
	blob_spool_free(sp);
	/* the "remote" is gone: every byte must come from the cache */
	assert_int_equal(unlink(x->path), 0);
	b = open_blob(x, x->cache);
	blob_stats(b, &st);
	assert_int_equal(st.chunks_cached, NCHUNKS);
	assert_true(st.verified);
	check_read(x, b, 0, SIZE);
	blob_stats(b, &st);
	assert_int_equal(st.chunks_fetched, 0);
	blob_close(b);
}

static int count_names(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)))
		n += strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
	closedir(d);
	return n;
}

/* Bytes not committed, or of the wrong length, leave no file in blobs/. */
static void test_spool_not_committed(void **state)
{
	struct fix *x = *state;
	struct error *err = NULL;
	struct blob_spool *sp = NULL;
	char *blobs;

	assert_int_equal(blob_spool_new(x->cache, &sp, &err), 0);
	assert_int_equal(blob_spool_write(sp, x->data, SIZE / 2, &err), 0);
	blob_spool_free(sp);
	assert_int_equal(blob_spool_new(x->cache, &sp, &err), 0);
	assert_int_equal(blob_spool_write(sp, x->data, SIZE - 1, &err), 0);
	assert_int_equal(blob_spool_commit(sp, x->digest, SIZE, CHUNK, &err), -1);
	assert_non_null(strstr(err->msg, "bytes"));
	error_free(&err);
	blob_spool_free(sp);
	blobs = path_join(x->cache, "blobs");
	assert_int_equal(count_names(x->cache), 1);	/* blobs/ */
	assert_int_equal(count_names(blobs), 0);
	free(blobs);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_random_reads),
		T(test_reuse_after_reopen),
		T(test_bad_chunk_hash),
		T(test_bad_chunk_hash_no_cache),
		T(test_corrupt_cached_chunk),
		T(test_corrupt_complete_blob),
		T(test_wrong_digest),
		T(test_in_order_fill_reads_nothing_back),
		T(test_reverse_fill_reads_back_once),
		T(test_scattered_fill_verified),
		T(test_wrong_digest_in_order),
		T(test_parallel_readers),
		T(test_parallel_readers_no_cache),
		T(test_no_cache_keeps_no_files),
		T(test_wipe),
		T(test_cache_file_modes),
		T(test_bad_arguments),
		T(test_fetcher_local),
		T(test_spool_commit),
		T(test_spool_not_committed),
	};

	return cmocka_run_group_tests_name("blob", tests, NULL, NULL);
}
