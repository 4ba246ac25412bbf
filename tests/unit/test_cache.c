// SPDX-License-Identifier: MIT
/* The dir source and the cache, on real files in a temporary directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "../../image/cache.h"
#include "../../image/source.h"

struct fixture {
	char dir[64];
	char *src, *cache;
	struct source *s;
	struct image img;
};

static char *sub(const char *dir, const char *name)
{
	char *p;

	assert_true(asprintf(&p, "%s/%s", dir, name) > 0);
	return p;
}

static void write_file(const char *path, const char *data, size_t len, off_t at)
{
	int fd = open(path, O_WRONLY | O_CREAT, 0644);

	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, data, len, at), (ssize_t)len);
	close(fd);
}

static int setup(void **state)
{
	struct source_opts o = { 0 };
	struct error *err = NULL;
	struct fixture *f = calloc(1, sizeof(*f));
	char *p;

	strcpy(f->dir, "/tmp/ovlmig-unit.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	f->src = sub(f->dir, "src");
	f->cache = sub(f->dir, "cache");
	assert_int_equal(mkdir(f->src, 0755), 0);
	p = sub(f->src, "plain");
	write_file(p, "hello", 5, 0);
	free(p);
	/* 64 MiB with 4 KiB of data at each end: mostly hole */
	p = sub(f->src, "sparse");
	write_file(p, "head", 4, 0);
	write_file(p, "tail", 4, 64 << 20);
	free(p);
	p = sub(f->src, "sub");
	assert_int_equal(mkdir(p, 0700), 0);
	free(p);
	p = sub(f->src, "plain");
	{
		char *q = sub(f->src, "sub/hard");

		assert_int_equal(link(p, q), 0);
		free(q);
	}
	free(p);
	assert_true(asprintf(&p, "dir:%s", f->src) > 0);
	assert_int_equal(source_open(p, &o, &f->s, &err), 0);
	free(p);
	image_init(&f->img);
	assert_int_equal(f->s->ops->index(f->s, &f->img, &err), 0);
	assert_int_equal(image_finalize(&f->img, &err), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char *cmd;

	image_free(&f->img);
	source_close(f->s);
	assert_true(asprintf(&cmd, "rm -rf %s", f->dir) > 0);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", f->dir);
	free(cmd);
	free(f->src);
	free(f->cache);
	free(f);
	return 0;
}

static uint32_t node(struct fixture *f, const char *name)
{
	uint32_t n = image_lookup(&f->img, 0, name, strlen(name));

	assert_int_not_equal(n, IMAGE_NONE);
	return n;
}

/* cache_lookup of NAME with every check; a refusal fails the test. */
static int lookup(struct fixture *f, struct cache *c, const char *name)
{
	struct error *why = NULL;
	uint32_t n = node(f, name);
	int fd = cache_lookup(c, n, f->img.nodes[n].size, true, &why);

	assert_null(why);
	return fd;
}

static void test_index_hardlinks(void **state)
{
	struct fixture *f = *state;
	uint32_t plain = node(f, "plain"), sub = node(f, "sub");

	assert_int_equal(image_lookup(&f->img, sub, "hard", 4), plain);
	assert_int_equal(f->img.nodes[plain].nlink, 2);
	assert_int_equal(f->img.nodes[node(f, "sparse")].size, (64 << 20) + 4);
}

static void test_fill_keeps_holes(void **state)
{
	struct fixture *f = *state;
	struct error *err = NULL;
	struct cache *c;
	struct stat st;
	char buf[4];
	int fd;

	assert_int_equal(cache_open(f->cache, 1, &c, &err), 0);
	assert_int_equal(lookup(f, c, "sparse"), -1);
	fd = cache_fill(c, f->s, &f->img, node(f, "sparse"), &err);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_size, (64 << 20) + 4);
	assert_true(st.st_blocks * 512 < (1 << 20));	/* holes stayed holes */
	assert_int_equal(pread(fd, buf, 4, 64 << 20), 4);
	assert_memory_equal(buf, "tail", 4);
	assert_int_equal(pread(fd, buf, 4, 0), 4);
	assert_memory_equal(buf, "head", 4);
	close(fd);
	fd = lookup(f, c, "sparse");
	assert_true(fd >= 0);
	close(fd);
	cache_close(c);
}

static void test_identity(void **state)
{
	struct fixture *f = *state;
	struct error *err = NULL;
	struct cache *c;
	char *stray, *part;
	int fd;

	assert_int_equal(cache_open(f->cache, 1, &c, &err), 0);
	fd = cache_fill(c, f->s, &f->img, node(f, "plain"), &err);
	assert_true(fd >= 0);
	close(fd);
	cache_close(c);
	/* something that is not ours, and an interrupted fetch */
	stray = sub(f->cache, "keep-me");
	write_file(stray, "x", 1, 0);
	part = sub(f->cache, ".part-00000001");
	write_file(part, "x", 1, 0);

	/* same image: complete files stay, interrupted ones go */
	assert_int_equal(cache_open(f->cache, 1, &c, &err), 0);
	fd = lookup(f, c, "plain");
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(access(part, F_OK), -1);
	cache_close(c);

	/* another image: everything of ours goes, nothing else */
	assert_int_equal(cache_open(f->cache, 2, &c, &err), 0);
	assert_int_equal(lookup(f, c, "plain"), -1);
	assert_int_equal(access(stray, F_OK), 0);
	cache_close(c);
	free(stray);
	free(part);
}

/*
 * An open cache is held (shared flock on its directory): an exclusive
 * lock, which ovlmig's deletion takes, fails until it is closed; two
 * readers share it; a directory someone holds exclusively (being
 * deleted) is refused with EBUSY. cache_hold (lowerfs, at its start)
 * holds it the same way.
 */
static void test_open_holds_directory(void **state)
{
	struct fixture *f = *state;
	struct error *err = NULL;
	struct cache *a, *b;
	int dfd, held;

	assert_int_equal(cache_open(f->cache, 1, &a, &err), 0);
	assert_int_equal(cache_open(f->cache, 1, &b, &err), 0);
	dfd = open(f->cache, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(dfd >= 0);
	assert_int_equal(flock(dfd, LOCK_EX | LOCK_NB), -1);
	cache_close(a);
	assert_int_equal(flock(dfd, LOCK_EX | LOCK_NB), -1);
	cache_close(b);
	assert_int_equal(flock(dfd, LOCK_EX | LOCK_NB), 0);
	assert_int_equal(cache_open(f->cache, 1, &a, &err), -1);
	assert_non_null(err);
	assert_int_equal(err->errnum, EBUSY);
	assert_non_null(strstr(err->msg, "being deleted"));
	error_free(&err);
	close(dfd);
	assert_int_equal(cache_open(f->cache, 1, &a, &err), 0);
	cache_close(a);

	/* cache_hold: the same hold on a descriptor of its own */
	assert_int_equal(cache_hold(f->cache, &held, &err), 0);
	dfd = open(f->cache, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(dfd >= 0);
	assert_int_equal(flock(dfd, LOCK_EX | LOCK_NB), -1);
	close(held);
	assert_int_equal(flock(dfd, LOCK_EX | LOCK_NB), 0);
	assert_int_equal(cache_hold(f->cache, &held, &err), -1);
	assert_int_equal(held, -1);
	assert_int_equal(err->errnum, EBUSY);
	error_free(&err);
	close(dfd);
}

static void test_fetch_missing_source_file(void **state)
{
	struct fixture *f = *state;
	struct error *err = NULL;
	struct cache *c;
	char *p = sub(f->src, "plain"), *q = sub(f->src, "sub/hard");

	assert_int_equal(cache_open(f->cache, 3, &c, &err), 0);
	assert_int_equal(unlink(p), 0);
	assert_int_equal(unlink(q), 0);
	assert_int_equal(cache_fill(c, f->s, &f->img, node(f, "plain"), &err), -1);
	assert_non_null(strstr(err->msg, "fetch plain: open "));
	assert_non_null(strstr(err->msg, "No such file or directory"));
	error_free(&err);
	assert_int_equal(lookup(f, c, "plain"), -1);
	cache_close(c);
	free(p);
	free(q);
}

/* why NAME's cached file is refused, or NULL if it is served */
static char *refusal(struct fixture *f, struct cache *c, const char *name)
{
	struct error *why = NULL;
	uint32_t n = node(f, name);
	int fd = cache_lookup(c, n, f->img.nodes[n].size, true, &why);
	char *msg;

	if (fd >= 0) {
		assert_null(why);
		close(fd);
		return NULL;
	}
	assert_non_null(why);
	msg = strdup(why->msg);
	error_free(&why);
	return msg;
}

static void test_refuses_what_was_not_fetched(void **state)
{
	struct fixture *f = *state;
	struct error *err = NULL;
	struct cache *c;
	char name[16], *file, *msg;
	int fd;

	assert_int_equal(cache_open(f->cache, 4, &c, &err), 0);
	snprintf(name, sizeof(name), "%08x", node(f, "plain"));
	file = sub(f->cache, name);

	/* planted with the right size and name, never fetched: no record */
	write_file(file, "HELLO", 5, 0);
	msg = refusal(f, c, "plain");
	assert_non_null(msg);
	assert_non_null(strstr(msg, "no sha256 recorded"));
	free(msg);

	/* fetched, then altered in place: the recorded sha256 differs */
	fd = cache_fill(c, f->s, &f->img, node(f, "plain"), &err);
	assert_true(fd >= 0);
	close(fd);
	assert_null(refusal(f, c, "plain"));
	write_file(file, "J", 1, 0);
	msg = refusal(f, c, "plain");
	assert_non_null(msg);
	assert_non_null(strstr(msg, "recorded sha256:"));
	free(msg);

	/* the size is checked first, even without hashing */
	write_file(file, "hello!", 6, 0);
	fd = cache_lookup(c, node(f, "plain"), 5, false, &err);
	assert_int_equal(fd, -1);
	assert_non_null(strstr(err->msg, "6 bytes, the image says 5"));
	error_free(&err);

	/* fetching again replaces it */
	fd = cache_fill(c, f->s, &f->img, node(f, "plain"), &err);
	assert_true(fd >= 0);
	close(fd);
	assert_null(refusal(f, c, "plain"));
	cache_close(c);
	free(file);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_index_hardlinks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fill_keeps_holes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_identity, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_holds_directory, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fetch_missing_source_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refuses_what_was_not_fetched, setup, teardown),
	};

	return cmocka_run_group_tests_name("cache", tests, NULL, NULL);
}
