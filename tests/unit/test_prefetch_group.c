// SPDX-License-Identifier: MIT
/*
 * prefetch_group: listed files whose compressed bytes lie close together
 * in one layer share a group (one request); a gap beyond GAP, another
 * layer, a group that would pass MAX, or an unknown extent keeps a file
 * apart; groups are numbered by their first file in list order.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "../../lowerfs/prefetch_group.h"

#define KIB 1024u
#define GAP (64 * KIB)
#define MAX (1024 * KIB)

static void test_neighbours(void **state)
{
	/* list order: a large file, then small ones of two places, interleaved */
	static const struct prefetch_extent ext[] = {
		{ 0, 100 * KIB, 900 * KIB, 1 },		/* 0: alone (next is 2 MiB on) */
		{ 0, 3000 * KIB, 3001 * KIB, 1 },	/* 1: place B */
		{ 0, 5000 * KIB, 5001 * KIB, 1 },	/* 2: place C */
		{ 0, 2990 * KIB, 2991 * KIB, 1 },	/* 3: place B, before 1 */
		{ 0, 5064 * KIB, 5065 * KIB, 1 },	/* 4: place C, 63 KiB after 2 */
		{ 0, 3130 * KIB, 3131 * KIB, 1 },	/* 5: 129 KiB after 1: apart */
	};
	uint32_t group_of[6];
	struct prefetch_group *g;
	size_t n;

	(void)state;
	assert_int_equal(prefetch_group(ext, 6, GAP, MAX, group_of, &g, &n, NULL), 0);
	assert_int_equal(n, 4);
	/* numbered by first file in the list */
	assert_int_equal(group_of[0], 0);
	assert_int_equal(group_of[1], 1);
	assert_int_equal(group_of[3], 1);
	assert_int_equal(group_of[2], 2);
	assert_int_equal(group_of[4], 2);
	assert_int_equal(group_of[5], 3);
	assert_int_equal(g[0].files, 1);
	assert_int_equal(g[1].files, 2);
	assert_int_equal(g[1].start, 2990 * KIB);
	assert_int_equal(g[1].end, 3001 * KIB);
	assert_int_equal(g[2].start, 5000 * KIB);
	assert_int_equal(g[2].end, 5065 * KIB);
	assert_int_equal(g[3].start, 3130 * KIB);
	free(g);
}

static void test_apart(void **state)
{
	static const struct prefetch_extent ext[] = {
		{ 0, 0, 4 * KIB, 1 },
		{ 1, 4 * KIB, 8 * KIB, 1 },		/* another layer */
		{ 0, 8 * KIB, 12 * KIB, 0 },		/* not known */
		{ 0, 4 * KIB, 700 * KIB, 1 },		/* joins 0: 700 KiB */
		{ 0, 700 * KIB, 1025 * KIB, 1 },	/* would make 1025 KiB > MAX */
		{ 0, 1025 * KIB, 1025 * KIB, 1 },	/* empty: alone, unknown */
	};
	uint32_t group_of[6];
	struct prefetch_group *g;
	size_t n;

	(void)state;
	assert_int_equal(prefetch_group(ext, 6, GAP, MAX, group_of, &g, &n, NULL), 0);
	assert_int_equal(n, 5);
	assert_int_equal(group_of[0], 0);
	assert_int_equal(group_of[3], 0);
	assert_int_equal(g[0].files, 2);
	assert_int_equal(g[0].end, 700 * KIB);
	assert_int_equal(group_of[1], 1);
	assert_int_equal(g[1].layer, 1);
	assert_int_equal(group_of[2], 2);
	assert_int_equal(g[2].files, 1);
	assert_int_equal(group_of[4], 3);
	assert_int_equal(g[3].start, 700 * KIB);
	assert_int_equal(group_of[5], 4);
	assert_int_equal(g[4].files, 1);
	free(g);
}

static void test_same_bytes(void **state)
{
	/* two names of one file's data (a hardlink listed twice), near the end of a blob */
	static const struct prefetch_extent ext[] = {
		{ 2, UINT64_MAX - 10, UINT64_MAX - 1, 1 },
		{ 2, UINT64_MAX - 10, UINT64_MAX - 1, 1 },
		{ 2, 0, 1, 1 },
	};
	uint32_t group_of[3];
	struct prefetch_group *g;
	size_t n;

	(void)state;
	assert_int_equal(prefetch_group(ext, 3, GAP, MAX, group_of, &g, &n, NULL), 0);
	assert_int_equal(n, 2);
	assert_int_equal(group_of[0], 0);
	assert_int_equal(group_of[1], 0);
	assert_int_equal(group_of[2], 1);
	assert_int_equal(g[0].files, 2);
	free(g);
	assert_int_equal(prefetch_group(ext, 0, GAP, MAX, group_of, &g, &n, NULL), 0);
	assert_int_equal(n, 0);
	free(g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_neighbours),
		cmocka_unit_test(test_apart),
		cmocka_unit_test(test_same_bytes),
	};

	return cmocka_run_group_tests_name("prefetch_group", tests, NULL, NULL);
}
