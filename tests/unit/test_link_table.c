// SPDX-License-Identifier: MIT
/* The hardlink groups of a nofollow migration: (dev, ino) -> first path. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "../../ovlmig/link_table.h"

static void empty_table_finds_nothing(void **state)
{
	struct link_table t = { 0 };

	(void)state;
	assert_null(link_table_get(&t, 1, 2));
	link_table_free(&t);
}

static void keys_are_dev_and_ino(void **state)
{
	struct link_table t = { 0 };

	(void)state;
	assert_int_equal(link_table_put(&t, 1, 100, "a/x"), 0);
	assert_int_equal(link_table_put(&t, 2, 100, "b/x"), 0);
	assert_string_equal(link_table_get(&t, 1, 100), "a/x");
	assert_string_equal(link_table_get(&t, 2, 100), "b/x");
	assert_null(link_table_get(&t, 1, 101));
	/* a later put replaces: the group's copy moved */
	assert_int_equal(link_table_put(&t, 1, 100, "c/x"), 0);
	assert_string_equal(link_table_get(&t, 1, 100), "c/x");
	assert_int_equal(t.used, 2);
	link_table_free(&t);
	assert_null(t.slots);
}

static void many_groups_survive_growth(void **state)
{
	struct link_table t = { 0 };
	char path[32];
	unsigned i;

	(void)state;
	for (i = 0; i < 5000; i++) {
		snprintf(path, sizeof(path), "d/%u", i);
		/* inode numbers that collide in the low bits */
		assert_int_equal(link_table_put(&t, 7, (ino_t)i << 20, path), 0);
	}
	assert_int_equal(t.used, 5000);
	assert_true(2 * t.used <= t.cap);
	for (i = 0; i < 5000; i++) {
		snprintf(path, sizeof(path), "d/%u", i);
		assert_string_equal(link_table_get(&t, 7, (ino_t)i << 20), path);
	}
	assert_null(link_table_get(&t, 7, 1));
	link_table_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(empty_table_finds_nothing),
		cmocka_unit_test(keys_are_dev_and_ino),
		cmocka_unit_test(many_groups_survive_growth),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
