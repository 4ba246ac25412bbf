// SPDX-License-Identifier: MIT
/*
 * Paths in control replies: UTF-8 ones as they are; others printable in
 * "KEY" and exact in "KEY_b64", read back byte for byte; bad base64 and
 * NUL bytes refused. Expected encodings written out by hand (RFC 4648).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../../control/control.h"
#include "../../common/json_path.h"

static void test_utf8_as_is(void **state)
{
	json_t *o = json_object();
	char *back;

	(void)state;
	assert_int_equal(json_path_set(o, "path", "/usr/h\xc3\xa9llo"), 0);
	assert_string_equal(json_string_value(json_object_get(o, "path")), "/usr/h\xc3\xa9llo");
	assert_null(json_object_get(o, "path_b64"));
	back = json_path_get(o, "path");
	assert_string_equal(back, "/usr/h\xc3\xa9llo");
	free(back);
	json_decref(o);
}

static void test_bytes_kept(void **state)
{
	json_t *o = json_object();
	char *text, *back;

	(void)state;
	assert_int_equal(json_path_set(o, "path", "/d/\xff\xfe\\x"), 0);
	/* for people: printable ASCII, the backslash escaped too */
	assert_string_equal(json_string_value(json_object_get(o, "path")), "/d/\\xff\\xfe\\x5cx");
	/* base64 of 2f 64 2f ff fe 5c 78 */
	assert_string_equal(json_string_value(json_object_get(o, "path_b64")), "L2Qv//5ceA==");
	/* through text, as the socket carries it */
	text = json_dumps(o, JSON_COMPACT);
	assert_non_null(text);
	json_decref(o);
	o = json_loads(text, 0, NULL);
	free(text);
	assert_non_null(o);
	back = control_live_path(o);
	assert_string_equal(back, "/d/\xff\xfe\\x");
	free(back);
	json_decref(o);
}

static void test_bad_input(void **state)
{
	static const char *bad[] = { "L2Qv//5ceA=", "L2Qv/!5ceA==", "L2QA" /* "/d\0" */ };
	json_t *o;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		o = json_pack("{s:s, s:s}", "path", "/x", "path_b64", bad[i]);
		errno = 0;
		assert_null(json_path_get(o, "path"));
		assert_int_equal(errno, EINVAL);
		json_decref(o);
	}
	o = json_pack("{s:i}", "path", 3);
	assert_null(json_path_get(o, "path"));
	assert_int_equal(errno, EINVAL);
	json_decref(o);
	/* arrays: printable, and base64 for the exact bytes */
	o = json_path_shown("a\x80");
	assert_string_equal(json_string_value(o), "a\\x80");
	json_decref(o);
	o = json_path_b64("a\x80");
	assert_string_equal(json_string_value(o), "YYA=");
	json_decref(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_utf8_as_is),
		cmocka_unit_test(test_bytes_kept),
		cmocka_unit_test(test_bad_input),
	};

	return cmocka_run_group_tests_name("json_path", tests, NULL, NULL);
}
