// SPDX-License-Identifier: MIT
/*
 * The image store's data/ layout (image/store_data.h): a file's redirect
 * path is its first name in sorted depth-first order, whatever order the
 * source added its names in; a file is placed whole or not at all, as a
 * second link when it can be, as a copy when the link is refused; and
 * the read-only view of lowerfs' cache changes nothing in it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../common/fsutil.h"
#include "../../image/cache.h"
#include "../../image/store_data.h"

static void test_paths_first_sorted_name(void **state)
{
	struct image_attr dir = { .mode = S_IFDIR | 0755 };
	struct image_attr file = { .mode = S_IFREG | 0644, .size = 3 };
	struct image_attr link = { .mode = S_IFLNK | 0777, .link = "x" };
	struct error *err = NULL;
	struct data_paths dp = { 0 };
	struct image img;
	uint32_t z, a, f, l, g;

	(void)state;
	image_init(&img);
	/* the pair is added as z/f first, a/f second: a/f sorts first */
	assert_int_equal(image_add_root(&img, &dir, &err), 0);
	assert_int_equal(image_add(&img, 0, "z", &dir, &z, &err), 0);
	assert_int_equal(image_add(&img, z, "f", &file, &f, &err), 0);
	assert_int_equal(image_add(&img, 0, "a", &dir, &a, &err), 0);
	assert_int_equal(image_link(&img, a, "f", f, &err), 0);
	assert_int_equal(image_add(&img, 0, "l", &link, &l, &err), 0);
	assert_int_equal(image_add(&img, a, "g", &file, &g, &err), 0);
	assert_int_equal(image_finalize(&img, &err), 0);
	assert_int_equal(data_paths_build(&img, &dp, &err), 0);
	assert_string_equal(dp.path[f], "a/f");
	assert_string_equal(dp.path[g], "a/g");
	assert_null(dp.path[0]);
	assert_null(dp.path[a]);
	assert_null(dp.path[l]);
	data_paths_free(&dp);
	assert_null(dp.path);
	image_free(&img);
}

struct fixture {
	char dir[64];
	int datafd, tmpfd, srcfd;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char path[128];

	strcpy(f->dir, "/tmp/ovlmig-unit.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(path, sizeof(path), "%s/data", f->dir);
	assert_int_equal(mkdir(path, 0700), 0);
	f->datafd = open(path, O_RDONLY | O_DIRECTORY);
	snprintf(path, sizeof(path), "%s/tmp", f->dir);
	assert_int_equal(mkdir(path, 0700), 0);
	f->tmpfd = open(path, O_RDONLY | O_DIRECTORY);
	snprintf(path, sizeof(path), "%s/src", f->dir);
	f->srcfd = open(path, O_RDWR | O_CREAT, 0600);
	assert_true(f->datafd >= 0 && f->tmpfd >= 0 && f->srcfd >= 0);
	assert_int_equal(write(f->srcfd, "hello", 5), 5);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	struct error *err = NULL;

	close(f->datafd);
	close(f->tmpfd);
	close(f->srcfd);
	assert_int_equal(remove_tree(f->dir, &err), 0);
	free(f);
	return 0;
}

static void expect_placed(struct fixture *f, const char *rel)
{
	char buf[8] = "";
	int fd = data_open(f->datafd, rel, 5);
	struct stat st;

	assert_true(fd >= 0);
	assert_int_equal(read(fd, buf, sizeof(buf)), 5);
	assert_memory_equal(buf, "hello", 5);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	close(fd);
}

static void test_place_links(void **state)
{
	struct fixture *f = *state;
	struct error *err = NULL;
	struct stat a, b;

	assert_false(data_present(f->datafd, "d/e/x", 5));
	assert_int_equal(data_place(f->datafd, f->tmpfd, "t", "d/e/x", f->srcfd, 5, &err), 0);
	expect_placed(f, "d/e/x");
	/* the same inode: no second copy of the data */
	assert_int_equal(fstatat(f->datafd, "d/e/x", &a, 0), 0);
	assert_int_equal(fstat(f->srcfd, &b), 0);
	assert_int_equal(a.st_ino, b.st_ino);
	/* nothing left under the temporary name */
	assert_int_equal(faccessat(f->tmpfd, "t", F_OK, 0), -1);
	/* a size other than the image's: not there whole */
	assert_false(data_present(f->datafd, "d/e/x", 4));
}

static void test_place_copies_a_removed_file(void **state)
{
	struct fixture *f = *state;
	struct error *err = NULL;
	char path[128];
	struct stat a, b;

	/* a file with no name left cannot be linked: it is copied */
	snprintf(path, sizeof(path), "%s/src", f->dir);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(data_place(f->datafd, f->tmpfd, "t", "x", f->srcfd, 5, &err), 0);
	expect_placed(f, "x");
	assert_int_equal(fstatat(f->datafd, "x", &a, 0), 0);
	assert_int_equal(fstat(f->srcfd, &b), 0);
	assert_int_not_equal(a.st_ino, b.st_ino);
}

static void test_place_refuses_a_short_file(void **state)
{
	struct fixture *f = *state;
	struct error *err = NULL;

	assert_int_equal(data_place(f->datafd, f->tmpfd, "t", "x", f->srcfd, 6, &err), -1);
	assert_non_null(err);
	error_free(&err);
	assert_int_equal(faccessat(f->datafd, "x", F_OK, AT_SYMLINK_NOFOLLOW), -1);
	assert_int_equal(faccessat(f->tmpfd, "t", F_OK, AT_SYMLINK_NOFOLLOW), -1);
}

static void test_present_follows_no_symlink(void **state)
{
	struct fixture *f = *state;
	struct error *err = NULL;

	assert_int_equal(data_place(f->datafd, f->tmpfd, "t", "d/x", f->srcfd, 5, &err), 0);
	assert_int_equal(symlinkat("d", f->datafd, "s"), 0);
	assert_false(data_present(f->datafd, "s/x", 5));
	assert_false(data_present(f->datafd, "../data/d/x", 5));
	assert_true(data_present(f->datafd, "d/x", 5));
}

static void test_cache_open_existing(void **state)
{
	struct fixture *f = *state;
	struct error *err = NULL;
	struct cache *c = NULL;
	char path[128], part[160];
	int fd;

	snprintf(path, sizeof(path), "%s/cache", f->dir);
	/* absent: nothing made */
	assert_int_equal(cache_open_existing(path, 42, &c, &err), 0);
	assert_null(c);
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(cache_open(path, 42, &c, &err), 0);
	cache_close(c);
	/* lowerfs fetching a file: its part file is left alone */
	snprintf(part, sizeof(part), "%s/.part-00000001", path);
	fd = open(part, O_WRONLY | O_CREAT, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(cache_open_existing(path, 43, &c, &err), 0);
	assert_null(c);
	assert_int_equal(cache_open_existing(path, 42, &c, &err), 1);
	assert_non_null(c);
	assert_int_equal(access(part, F_OK), 0);
	cache_close(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_paths_first_sorted_name),
		cmocka_unit_test_setup_teardown(test_place_links, setup, teardown),
		cmocka_unit_test_setup_teardown(test_place_copies_a_removed_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_place_refuses_a_short_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_present_follows_no_symlink, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cache_open_existing, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
