/* SPDX-License-Identifier: MIT */
/*
 * What a failed attempt means and what to do next: pure functions, so
 * the rules are tested without a network (tests/unit/test_fetch_retry.c).
 *
 * - transient: the source is away or overloaded (refused, reset,
 *   timeouts, stalls, short bodies, HTTP 408, 429, 5xx). With a grace
 *   period, retried until the outage is that old, else as often as
 *   opts.retries says.
 * - odd: an answer that is wrong but came (a Content-Range not asked
 *   for, an overlong body): retried opts.retries times, never for a
 *   whole grace period, and it proves the source reachable.
 * - permanent: any other 4xx, TLS verification, bad URLs: fail at once.
 */
#ifndef IMAGE_FETCH_RETRY_H
#define IMAGE_FETCH_RETRY_H

#include <stdint.h>

#include <curl/curl.h>

enum fetch_fault { FAULT_TRANSIENT, FAULT_ODD, FAULT_PERMANENT };

enum fetch_fault fetch_fault_of_curl(CURLcode rc);
/* A complete answer with STATUS that is not a success, redirect or 401. */
enum fetch_fault fetch_fault_of_status(long status);

enum retry_verdict { RETRY_AGAIN, RETRY_GIVE_UP };

/*
 * After failed attempt number ATTEMPT (1 for the first): try again?
 * OUTAGE_MS is how long the source has been failing, as this transfer
 * sees it; GRACE_MS 0 keeps the count-based rule for every fault.
 */
enum retry_verdict fetch_retry_verdict(enum fetch_fault fault, unsigned attempt,
				       unsigned retries, uint64_t outage_ms,
				       uint64_t grace_ms);

/* Delay before probe N (1 for the first) of a source that is down. */
uint64_t outage_backoff_ms(unsigned n);

#define OUTAGE_BACKOFF_FIRST_MS	200
#define OUTAGE_BACKOFF_CAP_MS	5000

#endif
