// SPDX-License-Identifier: MIT
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../../image/tree.h"

static struct image_attr attr(mode_t mode)
{
	struct image_attr a = { .mode = mode, .uid = 1, .gid = 2, .size = 10 };

	return a;
}

/* root/{a (file), d/ {b (file, hardlink of a), e/}, l -> a} */
static void build(struct image *img)
{
	struct error *err = NULL;
	struct image_attr dir = attr(S_IFDIR | 0755), file = attr(S_IFREG | 04755),
			  lnk = attr(S_IFLNK | 0777);
	uint32_t a, d, e, l;

	lnk.link = "a";
	image_init(img);
	assert_int_equal(image_add_root(img, &dir, &err), 0);
	assert_int_equal(image_add(img, 0, "a", &file, &a, &err), 0);
	assert_int_equal(image_add(img, 0, "d", &dir, &d, &err), 0);
	assert_int_equal(image_link(img, d, "b", a, &err), 0);
	assert_int_equal(image_add(img, d, "e", &dir, &e, &err), 0);
	assert_int_equal(image_add(img, 0, "l", &lnk, &l, &err), 0);
	assert_int_equal(image_finalize(img, &err), 0);
	assert_null(err);
}

static void test_lookup_and_links(void **state)
{
	struct image img;
	uint32_t a, d;

	(void)state;
	build(&img);
	a = image_lookup(&img, 0, "a", 1);
	d = image_lookup(&img, 0, "d", 1);
	assert_int_not_equal(a, IMAGE_NONE);
	assert_int_equal(image_lookup(&img, d, "b", 1), a);
	assert_int_equal(image_lookup(&img, 0, "b", 1), IMAGE_NONE);
	/* a prefix of a name is not the name */
	assert_int_equal(image_lookup(&img, 0, "ab", 1), a);
	assert_int_equal(image_lookup(&img, 0, "ab", 2), IMAGE_NONE);
	assert_int_equal(img.nodes[a].nlink, 2);	/* a and d/b */
	assert_int_equal(img.nodes[0].nlink, 3);	/* ., .., d */
	assert_int_equal(img.nodes[d].nlink, 3);	/* d has e */
	assert_int_equal(img.nodes[a].mode, S_IFREG | 04755);
	assert_string_equal(img.nodes[image_lookup(&img, 0, "l", 1)].link, "a");
	assert_int_equal(img.nodes[image_lookup(&img, 0, "l", 1)].size, 1);
	image_free(&img);
}

static void test_paths(void **state)
{
	struct image img;
	char *p;

	(void)state;
	build(&img);
	p = image_path(&img, 0);
	assert_string_equal(p, "");
	free(p);
	p = image_path(&img, image_lookup(&img, image_lookup(&img, 0, "d", 1), "e", 1));
	assert_string_equal(p, "d/e");
	free(p);
	/* a hardlink's path is its first name */
	p = image_path(&img, image_lookup(&img, 0, "a", 1));
	assert_string_equal(p, "a");
	free(p);
	image_free(&img);
}

static void test_bad_names(void **state)
{
	struct image_attr dir = attr(S_IFDIR | 0755), file = attr(S_IFREG | 0644);
	const char *bad[] = { "", ".", "..", "a/b", "/abs" };
	struct error *err = NULL;
	struct image img;
	uint32_t n, f;
	size_t i;

	(void)state;
	image_init(&img);
	assert_int_equal(image_add_root(&img, &dir, &err), 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(image_add(&img, 0, bad[i], &file, &n, &err), -1);
		assert_non_null(strstr(err->msg, "invalid entry name"));
		error_free(&err);
	}
	/* files are not directories; directories cannot be hardlinked */
	assert_int_equal(image_add(&img, 0, "f", &file, &f, &err), 0);
	assert_int_equal(image_add(&img, f, "x", &file, &n, &err), -1);
	error_free(&err);
	assert_int_equal(image_link(&img, 0, "root-again", 0, &err), -1);
	error_free(&err);
	/* duplicates are found when the image is finalized */
	assert_int_equal(image_add(&img, 0, "f", &file, &n, &err), 0);
	assert_int_equal(image_finalize(&img, &err), -1);
	assert_non_null(strstr(err->msg, "duplicate entry 'f'"));
	error_free(&err);
	image_free(&img);
}

static void test_overlay_xattrs_dropped(void **state)
{
	struct error *err = NULL;
	struct image img;

	(void)state;
	build(&img);
	assert_int_equal(image_add_xattr(&img, 1, "trusted.overlay.opaque", "y", 1, &err), 0);
	assert_int_equal(image_add_xattr(&img, 1, "trusted.overlay.redirect", "/x", 2, &err), 0);
	assert_int_equal(image_add_xattr(&img, 1, "security.capability", "\1\2", 2, &err), 0);
	assert_int_equal(image_add_xattr(&img, 1, "trusted.overlayfoo", "", 0, &err), 0);
	assert_int_equal(img.nodes[1].nxattrs, 2);
	assert_string_equal(img.nodes[1].xattrs[0].name, "security.capability");
	assert_string_equal(img.nodes[1].xattrs[1].name, "trusted.overlayfoo");
	image_free(&img);
}

static void test_fingerprint(void **state)
{
	struct image a, b;

	(void)state;
	build(&a);
	build(&b);
	assert_true(image_fingerprint(&a) == image_fingerprint(&b));
	b.nodes[1].mtime.tv_nsec++;
	assert_true(image_fingerprint(&a) != image_fingerprint(&b));
	image_free(&a);
	image_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lookup_and_links),
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_bad_names),
		cmocka_unit_test(test_overlay_xattrs_dropped),
		cmocka_unit_test(test_fingerprint),
	};

	return cmocka_run_group_tests_name("image", tests, NULL, NULL);
}
