// SPDX-License-Identifier: MIT
/*
 * The published prefetch list's descriptor kept in the index cache
 * (image/list_ref.h): saved and loaded back per image manifest and
 * repository; saving "none" removes it; a kept file that is not one line
 * "DIGEST SIZE" with a valid digest and a size of at most
 * PREFETCH_LIST_MAX fails to load and is removed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../common/error.h"
#include "../../image/list_ref.h"

#define MANIFEST "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define LIST "sha256:2222222222222222222222222222222222222222222222222222222222222222"
#define REPO "http://127.0.0.1:5000/v2/bench/idx"

static char dir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_list_ref.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* the one file under DIR/indexes (malloc'd path), or NULL */
static char *kept_file(void)
{
	char *idir = NULL, *path = NULL;
	struct dirent *e;
	DIR *d;

	assert_true(asprintf(&idir, "%s/indexes", dir) > 0);
	d = opendir(idir);
	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.') {
			assert_null(path);
			assert_true(asprintf(&path, "%s/%s", idir, e->d_name) > 0);
		}
	if (d)
		closedir(d);
	free(idir);
	return path;
}

static void write_kept(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static void test_round_trip(void **state)
{
	struct blob_ref ref = { LIST, 854 }, got;
	struct error *err = NULL;
	char *path;

	(void)state;
	/* nothing kept yet */
	assert_int_equal(list_ref_load(dir, MANIFEST, REPO, &got, &err), 0);
	assert_int_equal(got.digest[0], 0);
	assert_int_equal(list_ref_save(dir, MANIFEST, REPO, &ref, &err), 0);
	assert_int_equal(list_ref_load(dir, MANIFEST, REPO, &got, &err), 1);
	assert_string_equal(got.digest, LIST);
	assert_int_equal(got.size, 854);
	/* another repository or another image: not that one's */
	assert_int_equal(list_ref_load(dir, MANIFEST, REPO "2", &got, &err), 0);
	assert_int_equal(list_ref_load(dir, LIST, REPO, &got, &err), 0);
	/* a registry that no longer names a list: the kept one goes */
	path = kept_file();
	assert_non_null(path);
	memset(&ref, 0, sizeof(ref));
	assert_int_equal(list_ref_save(dir, MANIFEST, REPO, &ref, &err), 0);
	assert_int_not_equal(access(path, F_OK), 0);
	assert_int_equal(list_ref_load(dir, MANIFEST, REPO, &got, &err), 0);
	/* and removing what is not there is no error */
	assert_int_equal(list_ref_save(dir, MANIFEST, REPO, &ref, &err), 0);
	free(path);
}

static void test_refused(void **state)
{
	static const char *const bad[] = {
		"",
		LIST " 854",			/* no newline */
		LIST " 854\nmore\n",		/* two lines */
		LIST "\n",			/* no size */
		"sha256:22 854\n",		/* not a digest */
		LIST " 0\n",			/* empty list */
		LIST " 16777217\n",		/* over PREFETCH_LIST_MAX */
		LIST " 12x\n",
		LIST " -1\n",
		"sha512:2222222222222222222222222222222222222222222222222222222222222222 854\n",
	};
	struct blob_ref ref = { LIST, 854 }, got;
	struct error *err = NULL;
	char *path;

	(void)state;
	assert_int_equal(list_ref_save(dir, MANIFEST, REPO, &ref, &err), 0);
	path = kept_file();
	assert_non_null(path);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		write_kept(path, bad[i]);
		assert_int_equal(list_ref_load(dir, MANIFEST, REPO, &got, &err), -1);
		assert_non_null(err);
		assert_non_null(strstr(err->msg, path));
		error_free(&err);
		assert_int_equal(got.digest[0], 0);
		/* removed: the next load finds none */
		assert_int_not_equal(access(path, F_OK), 0);
		assert_int_equal(list_ref_load(dir, MANIFEST, REPO, &got, &err), 0);
	}
	/* the largest list allowed is taken */
	write_kept(path, LIST " 16777216\n");
	assert_int_equal(list_ref_load(dir, MANIFEST, REPO, &got, &err), 1);
	assert_int_equal(got.size, 16777216);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
