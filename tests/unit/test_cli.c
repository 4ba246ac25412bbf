// SPDX-License-Identifier: MIT
/* cli: one table drives parsing, operands and help. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/cli.h"

static int run(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

static const struct cli_option opts[] = {
	{ "jobs", 'j', "N", "how many" },
	{ "wait", 256, NULL, "wait first" },
	{ "help", 'h', NULL, "show this help" },
};

static const struct cli_command cmd = {
	"demo", "TARGET [MORE]", "a demo command", opts, 3, 1, 2, run,
};

struct seen {
	char keys[16];
	const char *args[16];
	int n;
};

static int record(void *ctx, int key, const char *arg)
{
	struct seen *s = ctx;

	if (key == 'j' && !strcmp(arg, "bad"))
		return -1;
	s->keys[s->n] = key == 256 ? 'w' : (char)key;
	s->args[s->n++] = arg;
	return 0;
}

/* parse a NULL-terminated list of words; the result and what was seen */
static int parse(struct seen *s, char **argv)
{
	int argc = 0;

	while (argv[argc])
		argc++;
	memset(s, 0, sizeof(*s));
	return cli_parse("prog", &cmd, argc, argv, record, s);
}

static void test_options_and_operands_in_any_order(void **state)
{
	char *argv[] = { "demo", "a", "--jobs", "3", "b", "--wait", NULL };
	struct seen s;

	(void)state;
	assert_int_equal(parse(&s, argv), 2);
	assert_string_equal(argv[1], "a");
	assert_string_equal(argv[2], "b");
	assert_int_equal(s.n, 2);
	assert_int_equal(s.keys[0], 'j');
	assert_string_equal(s.args[0], "3");
	assert_int_equal(s.keys[1], 'w');
	assert_null(s.args[1]);	/* no argument: none passed on */
}

static void test_short_option_and_double_dash(void **state)
{
	char *argv[] = { "demo", "-j", "2", "--", "--wait", NULL };
	struct seen s;

	(void)state;
	assert_int_equal(parse(&s, argv), 1);
	assert_string_equal(argv[1], "--wait");	/* an operand after "--" */
	assert_int_equal(s.n, 1);
	assert_int_equal(s.keys[0], 'j');
}

static void test_usage_errors(void **state)
{
	char *unknown[] = { "demo", "--nope", "a", NULL };
	char *missing[] = { "demo", "a", "--jobs", NULL };
	char *bad[] = { "demo", "--jobs", "bad", "a", NULL };
	char *none[] = { "demo", "--wait", NULL };
	char *many[] = { "demo", "a", "b", "c", NULL };
	struct seen s;

	(void)state;
	assert_int_equal(parse(&s, unknown), CLI_USAGE);
	assert_int_equal(parse(&s, missing), CLI_USAGE);
	assert_int_equal(parse(&s, bad), CLI_USAGE);
	assert_int_equal(parse(&s, none), CLI_USAGE);
	assert_int_equal(parse(&s, many), CLI_USAGE);
}

/* --help: every option of the table, in the table's order, and nothing else */
static void test_help_lists_the_table(void **state)
{
	char *argv[] = { "demo", "--help", NULL };
	char *text = NULL, *p;
	size_t len = 0, i;
	struct seen s;
	FILE *f;

	(void)state;
	assert_int_equal(parse(&s, argv), CLI_HELP);
	f = open_memstream(&text, &len);
	assert_non_null(f);
	cli_print_help(f, "prog", &cmd);
	fclose(f);
	assert_non_null(strstr(text, "usage: prog demo [options] TARGET [MORE]\n"));
	assert_non_null(strstr(text, "a demo command"));
	p = text;
	for (i = 0; i < 3; i++) {
		char want[32];

		snprintf(want, sizeof(want), "--%s", opts[i].name);
		p = strstr(p, want);
		assert_non_null(p);
	}
	assert_non_null(strstr(text, "-j,--jobs N"));
	/* three option lines: one "--" each */
	for (i = 0, p = text; (p = strstr(p, "--")); p += 2)
		i++;
	assert_int_equal(i, 3);
	free(text);
}

/* "[=NAME]": --name alone or --name=VALUE; never the next word */
static void test_optional_argument(void **state)
{
	static const struct cli_option oopts[] = {
		{ "watch", 257, "[=SECONDS]", "redraw" },
		{ "help", 'h', NULL, "show this help" },
	};
	static const struct cli_command ocmd = {
		"demo", "[TARGET]", "a demo command", oopts, 2, 0, 1, run,
	};
	char *bare[] = { "demo", "--watch", "5", NULL };
	char *given[] = { "demo", "--watch=0.5", NULL };
	char *text = NULL;
	size_t len = 0;
	struct seen s;
	FILE *f;

	(void)state;
	memset(&s, 0, sizeof(s));
	assert_int_equal(cli_parse("prog", &ocmd, 3, bare, record, &s), 1);
	assert_int_equal(s.n, 1);
	assert_null(s.args[0]);
	assert_string_equal(bare[1], "5");	/* an operand, not its value */
	memset(&s, 0, sizeof(s));
	assert_int_equal(cli_parse("prog", &ocmd, 2, given, record, &s), 0);
	assert_string_equal(s.args[0], "0.5");
	f = open_memstream(&text, &len);
	assert_non_null(f);
	cli_print_options(f, oopts, 2);
	fclose(f);
	assert_non_null(strstr(text, "--watch[=SECONDS] "));
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_options_and_operands_in_any_order),
		cmocka_unit_test(test_short_option_and_double_dash),
		cmocka_unit_test(test_usage_errors),
		cmocka_unit_test(test_help_lists_the_table),
		cmocka_unit_test(test_optional_argument),
	};

	return cmocka_run_group_tests_name("cli", tests, NULL, NULL);
}
