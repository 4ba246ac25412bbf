// SPDX-License-Identifier: MIT
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/cli.h"
#include "../../common/error.h"
#include "../../common/util.h"

static int inner(struct error **err)
{
	return error_set(err, EBUSY, "rename %s", "x.tmp");
}

static int middle(struct error **err)
{
	if (inner(err) < 0)
		return error_wrap(err, "repin %s", "usr/bin/x");
	return 0;
}

static void test_wrapped_message(void **state)
{
	struct error *err = NULL;

	(void)state;
	assert_int_equal(middle(&err), -1);
	assert_int_equal(error_wrap(&err, "detach %s", "/m"), -1);
	assert_string_equal(err->msg,
			    "detach /m: repin usr/bin/x: rename x.tmp: Device or resource busy");
	assert_int_equal(err->errnum, EBUSY);
	error_free(&err);
	assert_null(err);
}

static void test_no_errno(void **state)
{
	struct error *err = NULL;

	(void)state;
	error_set(&err, 0, "plain %d", 42);
	assert_string_equal(err->msg, "plain 42");
	error_free(&err);
}

static void test_parse_u64(void **state)
{
	uint64_t v;

	(void)state;
	assert_int_equal(parse_u64("17", 0, 100, &v), 0);
	assert_int_equal(v, 17);
	assert_int_equal(parse_u64("101", 0, 100, &v), -1);
	assert_int_equal(errno, ERANGE);
	assert_int_equal(parse_u64("-1", 0, 100, &v), -1);
	assert_int_equal(parse_u64("1x", 0, 100, &v), -1);
	assert_int_equal(parse_u64("", 0, 100, &v), -1);
	assert_int_equal(parse_u64("99999999999999999999999", 0, UINT64_MAX, &v), -1);
}

static void test_path_join(void **state)
{
	char *p;

	(void)state;
	p = path_join("a", "b");
	assert_string_equal(p, "a/b");
	free(p);
	p = path_join("", "b");
	assert_string_equal(p, "b");
	free(p);
}

static void test_cli_table(void **state)
{
	static const struct cli_option opts[] = {
		{ "cache", 'c', "DIR", "x" },
		{ "fast", 'f', NULL, "y" },
		{ "long-only", 300, "N", "z" },
	};
	char *argv[] = { "prog", "-c", "/d", "--long-only", "5", "-f", "rest", NULL };
	struct cli_parser p;
	int c, seen = 0;

	(void)state;
	assert_int_equal(cli_parser_init(&p, opts, 3), 0);
	assert_string_equal(p.shortopts, "+c:f");
	optind = 1;
	while ((c = cli_next(&p, 7, argv)) != -1) {
		if (c == 'c')
			assert_string_equal(optarg, "/d"), seen |= 1;
		else if (c == 300)
			assert_string_equal(optarg, "5"), seen |= 2;
		else if (c == 'f')
			seen |= 4;
	}
	assert_int_equal(seen, 7);
	assert_string_equal(argv[optind], "rest");
	cli_parser_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wrapped_message),
		cmocka_unit_test(test_no_errno),
		cmocka_unit_test(test_parse_u64),
		cmocka_unit_test(test_path_join),
		cmocka_unit_test(test_cli_table),
	};

	return cmocka_run_group_tests_name("common", tests, NULL, NULL);
}
