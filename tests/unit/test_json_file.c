// SPDX-License-Identifier: MIT
/*
 * json_file_load: a document written by json_file_replace comes back; a
 * missing, torn or wrong-typed file reads as absent (NULL), never as an
 * empty document of the wrong kind.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../common/json_file.h"
#include "../../common/util.h"

static char dir[] = "/tmp/test_json_file.XXXXXX";

static int setup(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[sizeof(dir) + 16];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void put(const char *name, const char *text)
{
	char *path = path_join(dir, name);
	int fd;

	assert_non_null(path);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(close(fd), 0);
	free(path);
}

static void test_round_trip(void **state)
{
	json_t *doc = json_pack("{s:s, s:i}", "state", "complete", "n", 7);
	char *path = path_join(dir, "a.json");
	struct error *err = NULL;
	json_t *back;

	(void)state;
	assert_non_null(path);
	assert_int_equal(json_file_replace(path, doc, JSON_COMPACT, 0, &err), 0);
	back = json_file_load(dir, "a.json", JSON_OBJECT);
	assert_non_null(back);
	assert_string_equal(json_string_value(json_object_get(back, "state")), "complete");
	assert_int_equal(json_integer_value(json_object_get(back, "n")), 7);
	json_decref(back);
	json_decref(doc);
	free(path);
}

static void test_absent_torn_wrong_type(void **state)
{
	json_t *arr;

	(void)state;
	assert_null(json_file_load(dir, "none.json", JSON_OBJECT));
	put("torn.json", "{\"state\": \"compl");
	assert_null(json_file_load(dir, "torn.json", JSON_OBJECT));
	put("arr.json", "[\"docker://r/x:1\"]");
	assert_null(json_file_load(dir, "arr.json", JSON_OBJECT));
	arr = json_file_load(dir, "arr.json", JSON_ARRAY);
	assert_non_null(arr);
	assert_int_equal(json_array_size(arr), 1);
	json_decref(arr);
	put("obj.json", "{}");
	assert_null(json_file_load(dir, "obj.json", JSON_ARRAY));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_absent_torn_wrong_type),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
