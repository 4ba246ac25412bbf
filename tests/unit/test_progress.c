// SPDX-License-Identifier: MIT
/*
 * progress: what `ovlmig status` and the bar show. Done never exceeds
 * total, bytes and entries apart, the rate of the last seconds only, an
 * ETA or the reason there is none.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "../../ovlmig/progress.h"

#define S 1000000000ull		/* a second in ns */
#define MiB (1024ull * 1024)

/* a migration of ENTRIES and BYTES that started at time 100 s */
static void start(struct progress *p, uint64_t entries, uint64_t bytes)
{
	memset(p, 0, sizeof(*p));
	p->entries_total = entries;
	p->bytes_total = bytes;
	progress_sample(p, 100 * S);
}

static void copied(struct progress *p, uint64_t at, uint64_t entries,
		   uint64_t bytes)
{
	p->entries_done += entries;
	p->bytes_done += bytes;
	progress_sample(p, at);
}

static void test_done_never_exceeds_total(void **state)
{
	struct progress p;
	struct progress_view v;

	(void)state;
	/* 22172 nodes; the walk meets 22173 names (a hard link) */
	start(&p, 22172, 50 * MiB);
	copied(&p, 102 * S, 22173, 50 * MiB + 4096);
	progress_view(&p, 102 * S, &v);
	assert_int_equal(v.entries_done, 22173);
	assert_int_equal(v.entries_total, 22173);
	assert_int_equal(v.bytes_done, 50 * MiB + 4096);
	assert_int_equal(v.bytes_total, 50 * MiB + 4096);
	assert_true(v.eta_s == 0);
	assert_null(v.why);
	/* below the totals they are the image's, untouched */
	start(&p, 10, 10 * MiB);
	copied(&p, 101 * S, 3, 1 * MiB);
	progress_view(&p, 101 * S, &v);
	assert_int_equal(v.entries_total, 10);
	assert_int_equal(v.bytes_total, 10 * MiB);
}

static void test_bytes_and_entries_apart(void **state)
{
	struct progress p;
	struct progress_view v;

	(void)state;
	/* every entry but one large file: the ETA is by bytes */
	start(&p, 1000, 101 * MiB);
	copied(&p, 102 * S, 999, 1 * MiB);
	progress_view(&p, 102 * S, &v);
	assert_int_equal(v.entries_done, 999);
	assert_int_equal(v.bytes_done, 1 * MiB);
	/* 1 MiB in 2 s: 100 MiB left take 200 s */
	assert_true(v.rate_bps > 0.49 * MiB && v.rate_bps < 0.51 * MiB);
	assert_true(v.eta_s > 199 && v.eta_s < 201);
}

static void test_rate_of_the_last_seconds(void **state)
{
	struct progress p;
	struct progress_view v;
	uint64_t t;

	(void)state;
	start(&p, 100, 1000 * MiB);
	/* 30 s at 10 MiB/s, then 10 s at 1 MiB/s, sampled twice a second */
	for (t = 100 * S + S / 2; t <= 130 * S; t += S / 2)
		copied(&p, t, 1, 5 * MiB);
	for (; t <= 140 * S; t += S / 2)
		copied(&p, t, 0, MiB / 2);
	progress_view(&p, 140 * S, &v);
	/* the window is the slow part only, not the 7.75 MiB/s average */
	assert_true(v.rate_bps > 0.95 * MiB && v.rate_bps < 1.05 * MiB);
	assert_true(v.eta_s > 0.95 * (double)(1000 - 310) &&
		    v.eta_s < 1.05 * (double)(1000 - 310));
}

static void test_one_large_file_between_samples(void **state)
{
	struct progress p;
	struct progress_view v;

	(void)state;
	/* one update 20 s after the start: older than the window, still a rate */
	start(&p, 2, 400 * MiB);
	copied(&p, 120 * S, 1, 200 * MiB);
	progress_view(&p, 120 * S + S / 2, &v);
	assert_true(v.rate_bps > 9 * MiB && v.rate_bps < 11 * MiB);
	assert_true(v.eta_s > 18 && v.eta_s < 22);
}

static void test_eta_unknown_says_why(void **state)
{
	struct progress p;
	struct progress_view v;

	(void)state;
	/* no totals from lowerfs */
	start(&p, 0, 0);
	progress_view(&p, 105 * S, &v);
	assert_true(v.eta_s < 0);
	assert_string_equal(v.why, "the image's size is not known");
	/* less than a second measured */
	start(&p, 10, 10 * MiB);
	copied(&p, 100 * S + S / 2, 1, MiB);
	progress_view(&p, 100 * S + S / 2, &v);
	assert_true(v.eta_s < 0);
	assert_string_equal(v.why, "measuring the rate");
	/* nothing moved over the window: a stall, no made-up ETA */
	start(&p, 10, 10 * MiB);
	copied(&p, 101 * S, 1, MiB);
	copied(&p, 115 * S, 0, 0);
	copied(&p, 125 * S, 0, 0);
	progress_view(&p, 125 * S, &v);
	assert_true(v.rate_bps == 0);
	assert_true(v.eta_s < 0);
	assert_string_equal(v.why, "no data copied in the last seconds");
}

static void test_ring_keeps_the_newest(void **state)
{
	struct progress p;
	struct progress_view v;
	uint64_t t;

	(void)state;
	/* many more samples than the ring holds: 2 MiB/s all along */
	start(&p, 10, 10000 * MiB);
	for (t = 101 * S; t <= 400 * S; t += S / 4)
		copied(&p, t, 0, MiB / 2);
	progress_view(&p, 400 * S, &v);
	assert_true(p.nsamples == PROGRESS_SAMPLES);
	assert_true(v.rate_bps > 1.9 * MiB && v.rate_bps < 2.1 * MiB);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_done_never_exceeds_total),
		cmocka_unit_test(test_bytes_and_entries_apart),
		cmocka_unit_test(test_rate_of_the_last_seconds),
		cmocka_unit_test(test_one_large_file_between_samples),
		cmocka_unit_test(test_eta_unknown_says_why),
		cmocka_unit_test(test_ring_keeps_the_newest),
	};

	return cmocka_run_group_tests_name("progress", tests, NULL, NULL);
}
