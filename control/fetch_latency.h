/* SPDX-License-Identifier: MIT */
/*
 * The buckets of lowerfs' fetch latency histogram, shared by lowerfs
 * (which counts) and ovlmig serve (which exports them as Prometheus
 * buckets). stats replies carry CONTROL_KEY_FETCH_LATENCY_COUNTS: one
 * count per bucket, not cumulative, the last one for fetches slower than
 * every bound; and CONTROL_KEY_FETCH_LATENCY_SUM_US.
 */
#ifndef CONTROL_FETCH_LATENCY_H
#define CONTROL_FETCH_LATENCY_H

#include <stdint.h>

/* upper bounds in microseconds: a cache-speed fetch to a stalled link */
#define FETCH_LATENCY_BOUNDS_US { 1000, 5000, 10000, 25000, 50000, 100000, \
				  250000, 500000, 1000000, 2500000, 5000000, \
				  10000000 }
#define FETCH_LATENCY_BOUNDS 12
/* the bounds plus one above them all */
#define FETCH_LATENCY_BUCKETS (FETCH_LATENCY_BOUNDS + 1)

#define CONTROL_KEY_FETCH_LATENCY_COUNTS "fetch_latency_counts"
#define CONTROL_KEY_FETCH_LATENCY_SUM_US "fetch_latency_sum_us"

/* The bucket of a fetch that took US microseconds. */
static inline unsigned fetch_latency_bucket(uint64_t us)
{
	static const uint64_t bounds[FETCH_LATENCY_BOUNDS] = FETCH_LATENCY_BOUNDS_US;
	unsigned i;

	for (i = 0; i < FETCH_LATENCY_BOUNDS && us > bounds[i]; i++)
		;
	return i;
}

#endif
