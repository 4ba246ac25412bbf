// SPDX-License-Identifier: MIT
/*
 * The fetcher's shared outage state (image/fetch_outage.c), driven by
 * hand: one probe at a time while the source is down, the others wait,
 * an answer ends the outage, the grace period ends the waiting, and the
 * counters and last error that `stats` reports.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/util.h"
#include "../../image/fetch_int.h"

#define URL "http://reg.example:5000/v2/app/blobs/sha256:ab?sig=secret"

static struct fetcher *new_fetcher(uint64_t grace_ms)
{
	struct fetch_opts o = { .grace_ms = grace_ms };
	struct error *err = NULL;
	struct fetcher *f = NULL;

	assert_int_equal(fetcher_new(&o, &f, &err), 0);
	return f;
}

static enum outage_gate gate(struct fetcher *f, bool *probe)
{
	return outage_gate(f, now_ns(), probe);
}

static void test_one_probe_at_a_time(void **state)
{
	struct fetcher *f = new_fetcher(3600 * 1000);
	struct fetch_health h;
	struct error *err = NULL;
	bool probe;

	(void)state;
	assert_int_equal(gate(f, &probe), GATE_GO);
	assert_false(probe);
	outage_failed(f, false, URL, "Connection refused");
	assert_int_equal(fetcher_health(f, &h, &err), 0);
	assert_false(h.reachable);
	assert_int_equal(h.errors_transient, 1);
	assert_int_equal(h.grace_ms, 3600 * 1000);
	/* the host and why; never the query of a signed URL */
	assert_string_equal(h.last_error, "reg.example:5000: Connection refused");
	fetch_health_release(&h);
	/* the first probe is 200 ms away: everyone waits */
	assert_int_equal(gate(f, &probe), GATE_WAIT);
	sleep_ns(250 * 1000000ull);
	assert_int_equal(gate(f, &probe), GATE_GO);
	assert_true(probe);
	/* while it probes, nobody else sends a request */
	assert_int_equal(gate(f, &probe), GATE_WAIT);
	assert_false(probe);
	outage_failed(f, true, URL, "Connection refused");
	assert_int_equal(gate(f, &probe), GATE_WAIT);	/* the next one backs off */
	outage_reached(f, false);
	assert_int_equal(gate(f, &probe), GATE_GO);
	assert_false(probe);
	assert_int_equal(fetcher_health(f, &h, &err), 0);
	assert_true(h.reachable);
	assert_int_equal(h.unreachable_ms, 0);
	assert_int_equal(h.errors_transient, 2);
	fetch_health_release(&h);
	fetcher_free(f);
}

static void test_grace_ends_the_wait(void **state)
{
	struct fetcher *f = new_fetcher(300);
	bool probe;
	char *why;

	(void)state;
	outage_failed(f, false, URL, "HTTP 503");
	sleep_ns(250 * 1000000ull);
	assert_int_equal(gate(f, &probe), GATE_GO);
	assert_true(probe);
	/* a probe in flight and the outage older than the grace period */
	sleep_ns(300 * 1000000ull);
	assert_int_equal(gate(f, &probe), GATE_EXPIRED);
	why = outage_describe(f, now_ns());
	assert_non_null(why);
	assert_non_null(strstr(why, "source unreachable for "));
	assert_non_null(strstr(why, "(reg.example:5000: HTTP 503)"));
	free(why);
	/* a probe that ended without an answer: the next one may go */
	outage_release(f);
	assert_int_equal(gate(f, &probe), GATE_GO);
	assert_true(probe);
	outage_release(f);
	fetcher_free(f);
}

static void test_no_grace_no_waiting(void **state)
{
	struct fetcher *f = new_fetcher(0);
	struct fetch_health h;
	struct error *err = NULL;
	bool probe;

	(void)state;
	outage_failed(f, false, URL, "Connection reset by peer");
	/* reported, but every transfer retries on its own as before */
	assert_int_equal(gate(f, &probe), GATE_GO);
	assert_false(probe);
	outage_permanent(f, false, URL, "HTTP 404");
	assert_int_equal(fetcher_health(f, &h, &err), 0);
	assert_false(h.reachable);
	assert_int_equal(h.errors_transient, 1);
	assert_int_equal(h.errors_permanent, 1);
	assert_string_equal(h.last_error, "reg.example:5000: HTTP 404");
	fetch_health_release(&h);
	fetcher_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_probe_at_a_time),
		cmocka_unit_test(test_grace_ends_the_wait),
		cmocka_unit_test(test_no_grace_no_waiting),
	};

	return cmocka_run_group_tests_name("fetch_outage", tests, NULL, NULL);
}
