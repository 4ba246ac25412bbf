// SPDX-License-Identifier: MIT
/*
 * fill_order: large files first in (layer, offset) order, small ones
 * after in the same order; one job takes the small ones first, the
 * others the large ones, each the other kind when its own is done, and
 * every file is taken exactly once.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "../../ovlmig/fill_order.h"

#define BIG (FILL_SMALL_BYTES + 1)

/* A mixed image, its files in name order (as the fill collects them). */
static const struct fill_file mixed[] = {
	{ .node = 1, .size = BIG, .layer = 2, .off = 0 },		/* /app/a */
	{ .node = 2, .size = 10, .layer = 0, .off = 700 },		/* /bin/sh */
	{ .node = 3, .size = BIG, .layer = 1, .off = 5000000 },	/* /usr/lib/b */
	{ .node = 4, .size = BIG, .layer = 1, .off = 512 },		/* /usr/lib/c */
	{ .node = 5, .size = FILL_SMALL_BYTES, .layer = 1, .off = 9000000 },
	{ .node = 6, .size = 0, .layer = 0, .off = 100 },		/* empty */
	{ .node = 7, .size = 20, .layer = 0, .off = 1024 },
};
#define NMIXED (sizeof(mixed) / sizeof(mixed[0]))

static void test_order(void **state)
{
	/* large: layer 1 at 512, layer 1 at 5000000, layer 2; then small */
	static const uint32_t want[NMIXED] = { 4, 3, 1, 6, 2, 7, 5 };
	struct fill_file f[NMIXED];
	struct fill_queue q;
	size_t i;

	(void)state;
	memcpy(f, mixed, sizeof(f));
	fill_order(f, NMIXED, &q);
	assert_int_equal(q.nlarge, 3);
	assert_int_equal(q.n, NMIXED);
	for (i = 0; i < NMIXED; i++)
		assert_int_equal(f[i].node, want[i]);
}

static void test_take(void **state)
{
	struct fill_file f[NMIXED];
	struct fill_queue q;
	int seen[NMIXED] = { 0 };
	size_t i, taken = 0;

	(void)state;
	memcpy(f, mixed, sizeof(f));
	fill_order(f, NMIXED, &q);
	/* the small-first job starts on the first small file ... */
	assert_true(fill_take(&q, true, &i));
	assert_int_equal(i, 3);
	seen[i]++, taken++;
	/* ... the others on the first large one, in order */
	assert_true(fill_take(&q, false, &i));
	assert_int_equal(i, 0);
	seen[i]++, taken++;
	assert_true(fill_take(&q, false, &i));
	assert_int_equal(i, 1);
	seen[i]++, taken++;
	/* alternate until both are done: each file once */
	for (bool small = true; fill_take(&q, small, &i); small = !small) {
		assert_true(i < NMIXED);
		seen[i]++, taken++;
	}
	assert_int_equal(taken, NMIXED);
	for (i = 0; i < NMIXED; i++)
		assert_int_equal(seen[i], 1);
	assert_false(fill_take(&q, true, &i));
	assert_false(fill_take(&q, false, &i));
}

static void test_one_kind(void **state)
{
	struct fill_file f[2] = {
		{ .node = 1, .size = 5, .layer = 0, .off = 9 },
		{ .node = 2, .size = 5, .layer = 0, .off = 3 },
	};
	struct fill_queue q;
	size_t i;

	(void)state;
	fill_order(f, 2, &q);
	assert_int_equal(q.nlarge, 0);
	/* a large-first job takes small files when there are no large ones */
	assert_true(fill_take(&q, false, &i));
	assert_int_equal(f[i].node, 2);
	assert_true(fill_take(&q, false, &i));
	assert_int_equal(f[i].node, 1);
	assert_false(fill_take(&q, false, &i));
	fill_order(NULL, 0, &q);
	assert_false(fill_take(&q, true, &i));
}

static void test_warm_ahead(void **state)
{
	struct fill_file f[NMIXED];
	struct fill_queue q;
	size_t i, j;

	(void)state;
	memcpy(f, mixed, sizeof(f));
	fill_order(f, NMIXED, &q);
	/* room for one large file ahead: the first, then wait */
	assert_int_equal(fill_warm_take(&q, f, BIG, &i), 0);
	assert_int_equal(i, 0);
	assert_int_equal(fill_warm_take(&q, f, BIG, &i), 1);
	/* a job takes it: room for the next */
	assert_true(fill_take(&q, false, &j));
	assert_int_equal(j, 0);
	assert_int_equal(fill_warm_take(&q, f, BIG, &i), 0);
	assert_int_equal(i, 1);
	/* the jobs overtake the warmer: it skips what they took */
	assert_true(fill_take(&q, false, &j));
	assert_true(fill_take(&q, false, &j));
	assert_int_equal(j, 2);
	assert_int_equal(fill_warm_take(&q, f, 3 * (uint64_t)BIG, &i), -1);
	/* small files are never warmed */
	memcpy(f, mixed, sizeof(f));
	fill_order(f, NMIXED, &q);
	for (j = 0; j < 3; j++) {
		assert_int_equal(fill_warm_take(&q, f, UINT64_MAX, &i), 0);
		assert_int_equal(i, j);
	}
	assert_int_equal(fill_warm_take(&q, f, UINT64_MAX, &i), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order),
		cmocka_unit_test(test_take),
		cmocka_unit_test(test_one_kind),
		cmocka_unit_test(test_warm_ahead),
	};

	return cmocka_run_group_tests_name("fill_order", tests, NULL, NULL);
}
