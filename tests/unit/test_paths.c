// SPDX-License-Identifier: MIT
/* Paths and sources made absolute for the state and for lowerfs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../common/fsutil.h"
#include "../../ovlmig/paths.h"

struct fixture {
	char tmpl[64];
	char *dir;	/* a fresh directory (symlinks resolved), the cwd */
	char *old_cwd;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	strcpy(f->tmpl, "/tmp/ovlmig-paths.XXXXXX");
	f->old_cwd = getcwd(NULL, 0);
	if (!f->old_cwd || !mkdtemp(f->tmpl) || !(f->dir = realpath(f->tmpl, NULL)) ||
	    chdir(f->dir) < 0 ||
	    mkdir("img", 0755) < 0 || mkdir("sub", 0755) < 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	struct error *err = NULL;

	if (chdir(f->old_cwd) < 0 || remove_tree(f->dir, &err) < 0) {
		error_free(&err);
		return -1;
	}
	free(f->old_cwd);
	free(f->dir);
	free(f);
	return 0;
}

/* SPEC made absolute equals WANT, with %s standing for the test dir. */
static void expect(const struct fixture *f, const char *spec, const char *want_fmt)
{
	struct error *err = NULL;
	char *want = NULL, *got = source_absolute(spec, &err);

	assert_true(asprintf(&want, want_fmt, f->dir, f->dir) >= 0);
	if (!got)
		fail_msg("%s: %s", spec, err ? err->msg : "?");
	assert_string_equal(got, want);
	free(got);
	free(want);
}

static void test_sources(void **state)
{
	struct fixture *f = *state;

	expect(f, "dir:img", "dir:%s/img");
	expect(f, "dir:sub/../img", "dir:%s/img");
	expect(f, "dir:/srv/image", "dir:/srv/image");
	/* local layers only; URLs, file:// and absolute paths as given */
	expect(f, "tar:sub/a.tar,http://h/b.tar,file:///c.tar,/d.tar,e.tar.gz",
	       "tar:%s/sub/a.tar,http://h/b.tar,file:///c.tar,/d.tar,%s/e.tar.gz");
	/* the tag stays a tag; a layout without one gets none */
	expect(f, "oci:img:v1", "oci:%s/img:v1");
	expect(f, "oci:img", "oci:%s/img");
	expect(f, "oci:sub/../img:latest", "oci:%s/img:latest");
	expect(f, "oci:/srv/layout:v2", "oci:/srv/layout:v2");
	expect(f, "docker://registry.example:5000/app:1.0", "docker://registry.example:5000/app:1.0");
}

static void test_absolute_path(void **state)
{
	struct fixture *f = *state;
	struct error *err = NULL;
	char *got, *want = NULL;

	/* not made yet, nor its parents: resolved as far as it exists */
	got = absolute_path("sub/new/deeper", &err);
	assert_non_null(got);
	assert_true(asprintf(&want, "%s/sub/new/deeper", f->dir) >= 0);
	assert_string_equal(got, want);
	free(got);
	free(want);
	got = absolute_path("./img/../cache", &err);
	assert_true(asprintf(&want, "%s/cache", f->dir) >= 0);
	assert_string_equal(got, want);
	free(got);
	free(want);
	/* a name that cannot be the last one of a path to make */
	assert_null(absolute_path("nothere/..", &err));
	assert_non_null(err);
	error_free(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_sources, setup, teardown),
		cmocka_unit_test_setup_teardown(test_absolute_path, setup, teardown),
	};

	return cmocka_run_group_tests_name("paths", tests, NULL, NULL);
}
