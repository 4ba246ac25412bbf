// SPDX-License-Identifier: MIT
/*
 * index_heap: indexes come out smallest first whatever order they went
 * in, a full heap refuses one more, an empty one gives nothing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "../../lowerfs/index_heap.h"

static void test_order(void **state)
{
	static const uint32_t in[] = { 7, 3, 9, 0, 4, 4, 12, 1, 8, 2 };
	struct index_heap h;
	uint32_t v, last = 0;
	size_t k;

	(void)state;
	assert_int_equal(index_heap_init(&h, 10), 0);
	assert_false(index_heap_pop(&h, &v));
	for (k = 0; k < 10; k++)
		assert_true(index_heap_push(&h, in[k]));
	assert_false(index_heap_push(&h, 5));
	for (k = 0; k < 10; k++) {
		assert_true(index_heap_pop(&h, &v));
		assert_true(v >= last);
		last = v;
	}
	assert_int_equal(last, 12);
	assert_false(index_heap_pop(&h, &v));
	index_heap_free(&h);
}

static void test_interleaved(void **state)
{
	/* pushes between pops (files fetched while others are processed) */
	struct index_heap h;
	uint32_t v;

	(void)state;
	assert_int_equal(index_heap_init(&h, 1000), 0);
	for (uint32_t i = 1000; i-- > 500;)
		assert_true(index_heap_push(&h, i));
	assert_true(index_heap_pop(&h, &v));
	assert_int_equal(v, 500);
	for (uint32_t i = 0; i < 499; i++)
		assert_true(index_heap_push(&h, i));
	for (uint32_t i = 0; i < 499; i++) {
		assert_true(index_heap_pop(&h, &v));
		assert_int_equal(v, i);
	}
	for (uint32_t i = 501; i < 1000; i++) {
		assert_true(index_heap_pop(&h, &v));
		assert_int_equal(v, i);
	}
	assert_false(index_heap_pop(&h, &v));
	index_heap_free(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order),
		cmocka_unit_test(test_interleaved),
	};

	return cmocka_run_group_tests_name("index_heap", tests, NULL, NULL);
}
