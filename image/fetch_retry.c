// SPDX-License-Identifier: MIT
/* Classifying failed attempts and the outage backoff (fetch_retry.h). */
#include "fetch_retry.h"

enum fetch_fault fetch_fault_of_curl(CURLcode rc)
{
	switch (rc) {
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
	case CURLE_NOT_BUILT_IN:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_OUT_OF_MEMORY:
	case CURLE_TOO_MANY_REDIRECTS:
		return FAULT_PERMANENT;
	default:
		/* refused, reset, DNS, timeouts, partial bodies, TLS handshakes */
		return FAULT_TRANSIENT;
	}
}

enum fetch_fault fetch_fault_of_status(long status)
{
	if (status == 408 || status == 429 || status >= 500)
		return FAULT_TRANSIENT;
	return FAULT_PERMANENT;
}

enum retry_verdict fetch_retry_verdict(enum fetch_fault fault, unsigned attempt,
				       unsigned retries, uint64_t outage_ms,
				       uint64_t grace_ms)
{
	switch (fault) {
	case FAULT_PERMANENT:
		return RETRY_GIVE_UP;
	case FAULT_TRANSIENT:
		if (grace_ms)
			return outage_ms < grace_ms ? RETRY_AGAIN : RETRY_GIVE_UP;
		break;
	case FAULT_ODD:
		break;
	}
	return attempt > retries ? RETRY_GIVE_UP : RETRY_AGAIN;
}

uint64_t outage_backoff_ms(unsigned n)
{
	uint64_t d = OUTAGE_BACKOFF_FIRST_MS;

	while (n-- > 1 && d < OUTAGE_BACKOFF_CAP_MS)
		d *= 2;
	return d < OUTAGE_BACKOFF_CAP_MS ? d : OUTAGE_BACKOFF_CAP_MS;
}
