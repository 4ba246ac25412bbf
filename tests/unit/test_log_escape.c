// SPDX-License-Identifier: MIT
/* log_escape: untrusted text stays on one line and shows what it holds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>

#include "../../common/log_escape.h"

static void expect(const char *in, const char *want)
{
	char *got = log_escape(in);

	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

static void test_plain_text_unchanged(void **state)
{
	(void)state;
	expect("", "");
	expect("bundle /srv/c1: No such file", "bundle /srv/c1: No such file");
	/* valid UTF-8 is text, not an attack */
	expect("caf\xc3\xa9 \xe4\xb8\xad \xf0\x9f\x98\x80", "caf\xc3\xa9 \xe4\xb8\xad \xf0\x9f\x98\x80");
}

static void test_line_breaks_and_controls(void **state)
{
	(void)state;
	expect("a\nb", "a\\x0ab");
	expect("a\r\nb\tc\x1b[2Jd\x7f", "a\\x0d\\x0ab\\x09c\\x1b[2Jd\\x7f");
	/* a backslash is escaped too, so "\x0a" in the input stays visible */
	expect("a\\x0ab", "a\\\\x0ab");
	/* next line, line and paragraph separators, a bidi override */
	expect("a\xc2\x85" "b\xe2\x80\xa8" "c\xe2\x80\xa9" "d\xe2\x80\xae" "e",
	       "a\\u{0085}b\\u{2028}c\\u{2029}d\\u{202e}e");
}

static void test_not_utf8(void **state)
{
	(void)state;
	/* stray continuation, truncated sequence, overlong '/', surrogate */
	expect("\x80x", "\\x80x");
	expect("a\xe4\xb8", "a\\xe4\\xb8");
	expect("\xc0\xaf", "\\xc0\\xaf");
	expect("\xed\xa0\x80", "\\xed\\xa0\\x80");
	expect("\xff\xfe", "\\xff\\xfe");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_text_unchanged),
		cmocka_unit_test(test_line_breaks_and_controls),
		cmocka_unit_test(test_not_utf8),
	};

	return cmocka_run_group_tests_name("log_escape", tests, NULL, NULL);
}
