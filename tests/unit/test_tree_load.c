// SPDX-License-Identifier: MIT
/*
 * lowerfs/tree_load.c: what waits for the image's tree and what does
 * not. A source whose index succeeds (a root and one file) or fails;
 * a store-image asked while loading is kept, another refused; once the
 * load failed, waiters and control commands get an error instead of a
 * tree half built; a stopping lowerfs does not wait for a load.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../lowerfs/control_server.h"

static int index_ok(struct source *s, struct image *img, struct error **err)
{
	struct image_attr dir = { .mode = S_IFDIR | 0755 };
	struct image_attr file = { .mode = S_IFREG | 0644, .size = 3 };
	uint32_t n;

	(void)s;
	if (image_add_root(img, &dir, err) < 0 ||
	    image_add(img, 0, "f", &file, &n, err) < 0)
		return -1;
	return 0;
}

static int index_fails(struct source *s, struct image *img, struct error **err)
{
	(void)s;
	(void)img;
	return error_set(err, ENOENT, "manifest: 404");
}

static const struct source_ops ops_ok = { .scheme = "test", .index = index_ok };
static const struct source_ops ops_fail = { .scheme = "test", .index = index_fails };

static void fs_init(struct lowerfs *fs, struct source *src, const struct source_ops *ops)
{
	struct error *err = NULL;

	memset(fs, 0, sizeof(*fs));
	memset(src, 0, sizeof(*src));
	src->ops = ops;
	fs->src = src;
	fs->devfd = -1;
	fs->tree.done_fd = -1;
	image_init(&fs->img);
	assert_int_equal(tree_load_init(fs, &err), 0);
	assert_false(tree_ready(fs));
}

static void fs_free(struct lowerfs *fs)
{
	atomic_store(&fs->stopping, true);
	tree_load_stop(fs);
	nodes_free(fs);
	image_free(&fs->img);
}

static void test_store_image_kept_while_loading(void **state)
{
	struct lowerfs fs;
	struct source src;
	struct error *err = NULL;
	uint64_t n = 0;

	(void)state;
	fs_init(&fs, &src, &ops_ok);
	assert_int_equal(tree_store_image(&fs, "/store/a", &err), 0);
	assert_int_equal(tree_store_image(&fs, "/store/a", &err), 0);
	assert_int_equal(tree_store_image(&fs, "/store/b", &err), -1);
	assert_int_equal(err->errnum, EBUSY);
	assert_non_null(strstr(err->msg, "/store/a"));
	error_free(&err);
	assert_string_equal(fs.tree.pending_store, "/store/a");
	/* the load: ready, its end told to the main loop */
	assert_int_equal(tree_load_now(&fs, &err), 0);
	assert_true(tree_ready(&fs));
	assert_int_equal(tree_wait(&fs), 0);
	assert_int_equal(fs.img.count, 2);
	assert_int_equal(read(fs.tree.done_fd, &n, sizeof(n)), (ssize_t)sizeof(n));
	assert_int_equal(n, 1);
	/* no cache: the kept store-image was tried then and refused (logged) */
	assert_null(atomic_load(&fs.feed));
	/* now at once, and its refusal is the caller's */
	assert_int_equal(tree_store_image(&fs, "/store/a", &err), -1);
	assert_non_null(strstr(err->msg, "cache"));
	error_free(&err);
	fs_free(&fs);
}

static void test_failed_load_refuses_waiters(void **state)
{
	struct lowerfs fs;
	struct source src;
	struct error *err = NULL;
	json_t *reply;

	(void)state;
	fs_init(&fs, &src, &ops_fail);
	assert_int_equal(tree_load_now(&fs, &err), -1);
	assert_non_null(strstr(err->msg, "404"));
	error_free(&err);
	assert_false(tree_ready(&fs));
	assert_int_equal(tree_wait(&fs), -1);
	assert_int_equal(tree_store_image(&fs, "/store/a", &err), -1);
	assert_int_equal(err->errnum, EIO);
	error_free(&err);
	/* a command that reads the tree: an error, not a tree half built */
	reply = control_handle(&fs, "stats\n", 6);
	assert_non_null(reply);
	assert_non_null(json_object_get(reply, "error"));
	assert_null(json_object_get(reply, "entries"));
	json_decref(reply);
	fs_free(&fs);
}

static void test_stopping_does_not_wait(void **state)
{
	struct lowerfs fs;
	struct source src;

	(void)state;
	fs_init(&fs, &src, &ops_ok);	/* never loaded: stays loading */
	atomic_store(&fs.stopping, true);
	assert_int_equal(tree_wait(&fs), -1);
	fs_free(&fs);
}

static void test_loader_thread(void **state)
{
	struct lowerfs fs;
	struct source src;
	struct error *err = NULL;

	(void)state;
	fs_init(&fs, &src, &ops_ok);
	fs.wake_fd = -1;
	assert_int_equal(tree_load_start(&fs, &err), 0);
	/* waits for the thread, which makes the tree whole first */
	assert_int_equal(tree_wait(&fs), 0);
	assert_int_equal(fs.img.count, 2);
	assert_non_null(fs.nodes);
	fs_free(&fs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_store_image_kept_while_loading),
		cmocka_unit_test(test_failed_load_refuses_waiters),
		cmocka_unit_test(test_stopping_does_not_wait),
		cmocka_unit_test(test_loader_thread),
	};

	return cmocka_run_group_tests_name("tree_load", tests, NULL, NULL);
}
