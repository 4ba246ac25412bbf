// SPDX-License-Identifier: MIT
/* The public image API (image/image.h) over a dir source in a temp dir. */
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
#include <sys/stat.h>
#include <unistd.h>

#include "../../image/image.h"
#include "dir_image.h"

#define TEXT "hello, image"

static int setup(void **state)
{
	struct dir_image *f = dir_image_new();

	assert_int_equal(mkdirat(f->dirfd, "src/a", 0755), 0);
	dir_image_file(f, "a/b", TEXT, strlen(TEXT), 0644);
	assert_int_equal(symlinkat("a/b", f->dirfd, "src/link"), 0);
	assert_int_equal(mkdirat(f->dirfd, "out", 0700), 0);
	dir_image_open(f);
	*state = f;
	return 0;
}

static void test_resolve(void **state)
{
	struct dir_image *f = *state;
	const struct image *img = image_tree(f->h);
	uint32_t b = image_lookup_path(img, "a/b");

	/* the spelling of a --prefetch-list line */
	assert_int_equal(image_lookup_path(img, "/a//b"), b);

	assert_int_equal(image_lookup_path(img, ""), 0);
	assert_int_not_equal(b, IMAGE_NONE);
	assert_true(S_ISREG(img->nodes[b].mode));
	assert_int_equal(img->nodes[b].size, strlen(TEXT));
	assert_true(S_ISLNK(img->nodes[image_lookup_path(img, "link")].mode));
	assert_int_equal(image_lookup_path(img, "a/../a/b"), IMAGE_NONE);
	assert_int_equal(image_lookup_path(img, "./a"), IMAGE_NONE);
	assert_int_equal(image_lookup_path(img, "a/b/c"), IMAGE_NONE);
	assert_int_equal(image_lookup_path(img, "missing"), IMAGE_NONE);
}

static int count_node(const struct image *img, uint32_t node, void *arg)
{
	uint32_t *seen = arg;

	/* parents come first: the parent was counted already */
	if (node)
		assert_true(img->nodes[node].parent < node);
	(*seen)++;
	return 0;
}

static int stop_at_two(const struct image *img, uint32_t node, void *arg)
{
	(void)img;
	(void)arg;
	return node == 2 ? 7 : 0;
}

static void test_walk(void **state)
{
	struct dir_image *f = *state;
	uint32_t seen = 0;

	assert_int_equal(image_walk(f->h, count_node, &seen), 0);
	/* root, a, a/b, link */
	assert_int_equal(seen, 4);
	assert_int_equal(image_walk(f->h, stop_at_two, NULL), 7);
}

static void test_read_range(void **state)
{
	struct dir_image *f = *state;
	uint32_t b = image_lookup_path(image_tree(f->h), "a/b");
	struct error *err = NULL;
	char buf[64] = "";

	assert_int_equal(image_read(f->h, b, 7, buf, sizeof(buf), &err), 5);
	assert_memory_equal(buf, "image", 5);
	assert_int_equal(image_read(f->h, b, 100, buf, sizeof(buf), &err), 0);
	assert_int_equal(image_read(f->h, 0, 0, buf, 1, &err), -1);
	assert_int_equal(err->errnum, EINVAL);
	error_free(&err);
}

static void test_fetch_into_dir(void **state)
{
	struct dir_image *f = *state;
	uint32_t b = image_lookup_path(image_tree(f->h), "a/b");
	struct error *err = NULL;
	char buf[64] = "";
	int out = openat(f->dirfd, "out", O_DIRECTORY | O_RDONLY), fd;

	assert_true(out >= 0);
	assert_int_equal(image_fetch(f->h, b, out, "b.data", &err), 0);
	fd = openat(out, "b.data", O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(read(fd, buf, sizeof(buf)), (ssize_t)strlen(TEXT));
	assert_string_equal(buf, TEXT);
	close(fd);
	/* never over an existing name, never beyond DIRFD */
	assert_int_equal(image_fetch(f->h, b, out, "b.data", &err), -1);
	assert_int_equal(err->errnum, EEXIST);
	error_free(&err);
	assert_int_equal(image_fetch(f->h, b, out, "../escape", &err), -1);
	assert_int_equal(err->errnum, EINVAL);
	error_free(&err);
	assert_int_equal(faccessat(f->dirfd, "escape", F_OK, 0), -1);
	close(out);
}

static void test_bad_spec(void **state)
{
	struct source_opts o = { 0 };
	struct image_handle *h = NULL;
	struct error *err = NULL;

	(void)state;
	assert_int_equal(image_open("nope:/x", &o, &h, &err), -1);
	assert_null(h);
	assert_non_null(strstr(err->msg, "unknown kind"));
	error_free(&err);
}

static char logged[128];

static void capture(const char *fmt, va_list ap)
{
	vsnprintf(logged, sizeof(logged), fmt, ap);
}

static void test_log_hook(void **state)
{
	(void)state;
	image_set_log(capture);
	errno = ENOENT;
	image_log("layer %d: %m", 3);
	image_set_log(NULL);
	assert_string_equal(logged, "layer 3: No such file or directory");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_resolve, setup, dir_image_teardown),
		cmocka_unit_test_setup_teardown(test_walk, setup, dir_image_teardown),
		cmocka_unit_test_setup_teardown(test_read_range, setup, dir_image_teardown),
		cmocka_unit_test_setup_teardown(test_fetch_into_dir, setup, dir_image_teardown),
		cmocka_unit_test(test_bad_spec),
		cmocka_unit_test(test_log_hook),
	};

	return cmocka_run_group_tests_name("image", tests, NULL, NULL);
}
