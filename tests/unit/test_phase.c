// SPDX-License-Identifier: MIT
/* phase: one name per phase, both ways; nothing else is a phase. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "../../ovlmig/phase.h"

static void test_names_both_ways(void **state)
{
	/* the names state.json and `ovlmig status` have always used */
	static const char *const want[] = {
		"mounting", "lazy", "migrating", "migrated", "detached",
	};
	enum phase p;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		assert_int_equal(phase_parse(want[i], &p), 0);
		assert_string_equal(phase_name(p), want[i]);
	}
	assert_int_equal(phase_parse("detached", &p), 0);
	assert_int_equal(p, PHASE_DETACHED);
}

static void test_other_names_refused(void **state)
{
	enum phase p = PHASE_LAZY;

	(void)state;
	assert_int_equal(phase_parse("Detached", &p), -1);
	assert_int_equal(phase_parse("", &p), -1);
	assert_int_equal(phase_parse(NULL, &p), -1);
	assert_int_equal(p, PHASE_LAZY);	/* untouched */
	assert_string_equal(phase_name((enum phase)99), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names_both_ways),
		cmocka_unit_test(test_other_names_refused),
	};

	return cmocka_run_group_tests_name("phase", tests, NULL, NULL);
}
