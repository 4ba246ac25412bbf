// SPDX-License-Identifier: MIT
/*
 * file_replace(): the new content or the old one, never half; the mode
 * asked for; no temporary file left after success or failure.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../common/fsutil.h"
#include "../../common/json_file.h"

struct dir {
	char path[64];
	char *file;
};

static int dir_setup(void **state)
{
	struct dir *d = calloc(1, sizeof(*d));

	if (!d)
		return -1;
	snprintf(d->path, sizeof(d->path), "/tmp/test_fsutil.XXXXXX");
	if (!mkdtemp(d->path) || asprintf(&d->file, "%s/f", d->path) < 0) {
		free(d);
		return -1;
	}
	*state = d;
	return 0;
}

static int dir_teardown(void **state)
{
	struct dir *d = *state;
	struct error *err = NULL;
	int ret = remove_tree(d->path, &err);

	error_free(&err);
	free(d->file);
	free(d);
	return ret;
}

/* How many entries PATH holds, "." and ".." aside. */
static size_t count_entries(const char *path)
{
	DIR *dir = opendir(path);
	struct dirent *e;
	size_t n = 0;

	assert_non_null(dir);
	while ((e = readdir(dir)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(dir);
	return n;
}

static char *slurp(const char *path)
{
	static char buf[256];
	int fd = open(path, O_RDONLY);
	ssize_t n;

	assert_true(fd >= 0);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	assert_true(n >= 0);
	buf[n] = '\0';
	return buf;
}

static void test_replaces_whole(void **state)
{
	struct dir *d = *state;
	struct error *err = NULL;
	struct stat st;

	assert_int_equal(file_replace_bytes(d->file, 0640, 0, "first", 5, &err), 0);
	assert_string_equal(slurp(d->file), "first");
	assert_int_equal(file_replace_bytes(d->file, 0600, FILE_DURABLE, "2nd", 3, &err), 0);
	assert_null(err);
	assert_string_equal(slurp(d->file), "2nd");
	assert_int_equal(stat(d->file, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(count_entries(d->path), 1);	/* no .tmp left */
}

static int fail_midway(int fd, const void *arg, struct error **err)
{
	(void)arg;
	if (write(fd, "partial", 7) != 7)
		return error_set(err, errno, "write");
	return error_set(err, ENOSPC, "out of space");
}

static void test_failure_keeps_old(void **state)
{
	struct dir *d = *state;
	struct error *err = NULL;

	assert_int_equal(file_replace_bytes(d->file, 0644, 0, "old", 3, &err), 0);
	assert_int_equal(file_replace(d->file, 0644, FILE_DURABLE, fail_midway, NULL, &err), -1);
	assert_non_null(err);
	assert_int_equal(err->errnum, ENOSPC);
	/* the message says which file and why */
	assert_non_null(strstr(err->msg, d->file));
	assert_non_null(strstr(err->msg, "out of space"));
	error_free(&err);
	assert_string_equal(slurp(d->file), "old");
	assert_int_equal(count_entries(d->path), 1);
}

static void test_missing_dir(void **state)
{
	struct dir *d = *state;
	struct error *err = NULL;
	char *path;

	assert_true(asprintf(&path, "%s/no/such", d->path) > 0);
	assert_int_equal(file_replace_bytes(path, 0644, 0, "x", 1, &err), -1);
	assert_non_null(err);
	assert_int_equal(err->errnum, ENOENT);
	error_free(&err);
	free(path);
}

static void test_json(void **state)
{
	struct dir *d = *state;
	struct error *err = NULL;
	json_t *doc = json_pack("{s:s}", "phase", "lazy");

	assert_int_equal(json_file_replace(d->file, doc, JSON_COMPACT, 0, &err), 0);
	json_decref(doc);
	assert_string_equal(slurp(d->file), "{\"phase\":\"lazy\"}");
	/* a document that could not be made: ENOMEM, the old file kept */
	assert_int_equal(json_file_replace(d->file, NULL, JSON_COMPACT, 0, &err), -1);
	assert_int_equal(err->errnum, ENOMEM);
	error_free(&err);
	assert_string_equal(slurp(d->file), "{\"phase\":\"lazy\"}");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_replaces_whole, dir_setup, dir_teardown),
		cmocka_unit_test_setup_teardown(test_failure_keeps_old, dir_setup, dir_teardown),
		cmocka_unit_test_setup_teardown(test_missing_dir, dir_setup, dir_teardown),
		cmocka_unit_test_setup_teardown(test_json, dir_setup, dir_teardown),
	};

	return cmocka_run_group_tests_name("fsutil", tests, NULL, NULL);
}
