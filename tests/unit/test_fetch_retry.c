// SPDX-License-Identifier: MIT
/* The fetcher's retry rules (image/fetch_retry.h), without a network. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../image/fetch_retry.h"

static void test_curl_faults(void **state)
{
	(void)state;
	/* the source is away: worth waiting for */
	assert_int_equal(fetch_fault_of_curl(CURLE_COULDNT_CONNECT), FAULT_TRANSIENT);
	assert_int_equal(fetch_fault_of_curl(CURLE_RECV_ERROR), FAULT_TRANSIENT);
	assert_int_equal(fetch_fault_of_curl(CURLE_OPERATION_TIMEDOUT), FAULT_TRANSIENT);
	assert_int_equal(fetch_fault_of_curl(CURLE_PARTIAL_FILE), FAULT_TRANSIENT);
	assert_int_equal(fetch_fault_of_curl(CURLE_GOT_NOTHING), FAULT_TRANSIENT);
	/* waiting cannot help */
	assert_int_equal(fetch_fault_of_curl(CURLE_PEER_FAILED_VERIFICATION), FAULT_PERMANENT);
	assert_int_equal(fetch_fault_of_curl(CURLE_URL_MALFORMAT), FAULT_PERMANENT);
	assert_int_equal(fetch_fault_of_curl(CURLE_TOO_MANY_REDIRECTS), FAULT_PERMANENT);
}

static void test_status_faults(void **state)
{
	(void)state;
	assert_int_equal(fetch_fault_of_status(500), FAULT_TRANSIENT);
	assert_int_equal(fetch_fault_of_status(502), FAULT_TRANSIENT);
	assert_int_equal(fetch_fault_of_status(503), FAULT_TRANSIENT);
	assert_int_equal(fetch_fault_of_status(408), FAULT_TRANSIENT);
	assert_int_equal(fetch_fault_of_status(429), FAULT_TRANSIENT);
	assert_int_equal(fetch_fault_of_status(400), FAULT_PERMANENT);
	assert_int_equal(fetch_fault_of_status(403), FAULT_PERMANENT);
	assert_int_equal(fetch_fault_of_status(404), FAULT_PERMANENT);
	assert_int_equal(fetch_fault_of_status(416), FAULT_PERMANENT);
}

static void test_verdict_with_grace(void **state)
{
	(void)state;
	/* attempts do not count, the outage's age does */
	assert_int_equal(fetch_retry_verdict(FAULT_TRANSIENT, 100, 4, 59999, 60000), RETRY_AGAIN);
	assert_int_equal(fetch_retry_verdict(FAULT_TRANSIENT, 1, 4, 60000, 60000), RETRY_GIVE_UP);
	/* a wrong answer keeps its few retries, grace or not */
	assert_int_equal(fetch_retry_verdict(FAULT_ODD, 4, 4, 0, 60000), RETRY_AGAIN);
	assert_int_equal(fetch_retry_verdict(FAULT_ODD, 5, 4, 0, 60000), RETRY_GIVE_UP);
	assert_int_equal(fetch_retry_verdict(FAULT_PERMANENT, 1, 4, 0, 60000), RETRY_GIVE_UP);
}

static void test_verdict_without_grace(void **state)
{
	(void)state;
	/* grace 0: the count-based rule of before */
	assert_int_equal(fetch_retry_verdict(FAULT_TRANSIENT, 4, 4, 0, 0), RETRY_AGAIN);
	assert_int_equal(fetch_retry_verdict(FAULT_TRANSIENT, 5, 4, 0, 0), RETRY_GIVE_UP);
	assert_int_equal(fetch_retry_verdict(FAULT_TRANSIENT, 1, 4, 3600000, 0), RETRY_AGAIN);
	assert_int_equal(fetch_retry_verdict(FAULT_PERMANENT, 1, 4, 0, 0), RETRY_GIVE_UP);
}

static void test_backoff(void **state)
{
	(void)state;
	assert_int_equal(outage_backoff_ms(1), 200);
	assert_int_equal(outage_backoff_ms(2), 400);
	assert_int_equal(outage_backoff_ms(3), 800);
	assert_int_equal(outage_backoff_ms(5), 3200);
	assert_int_equal(outage_backoff_ms(6), 5000);
	assert_int_equal(outage_backoff_ms(1000), 5000);
	assert_int_equal(outage_backoff_ms(0), 200);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_curl_faults),
		cmocka_unit_test(test_status_faults),
		cmocka_unit_test(test_verdict_with_grace),
		cmocka_unit_test(test_verdict_without_grace),
		cmocka_unit_test(test_backoff),
	};

	return cmocka_run_group_tests_name("fetch_retry", tests, NULL, NULL);
}
