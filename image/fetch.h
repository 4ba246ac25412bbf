/* SPDX-License-Identifier: MIT */
/*
 * The HTTP(S) client, on libcurl: connection reuse across requests and
 * threads, range requests (several in parallel), timeouts, retries with
 * exponential backoff, and the registry's bearer-token challenge
 * (WWW-Authenticate: Bearer realm=...,service=...,scope=...) answered
 * transparently. file:// URLs and plain paths are read with pread, so
 * callers treat local and remote layers alike.
 *
 * Thread-safe: one fetcher is shared by all of lowerfs' threads.
 */
#ifndef IMAGE_FETCH_H
#define IMAGE_FETCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/error.h"

/*
 * Told when the source goes down (DOWN true, WHY "HOST: why") and when it
 * answers again; called on a fetching thread, with no lock held.
 */
typedef void fetch_outage_fn(void *arg, bool down, const char *why);

struct fetch_opts {
	bool insecure;			/* skip TLS verification (loopback tests) */
	unsigned retries;		/* extra attempts after a failure; 0: default 4 */
	uint64_t connect_timeout_ms;	/* 0: default 10 s */
	uint64_t stall_timeout_ms;	/* no byte for this long: retry; 0: default 15 s */
	uint64_t backoff_ms;		/* first retry delay, doubled each time; 0: default 100 ms */
	unsigned parallel;		/* ranges in flight at once; 0: default 4 */
	uint64_t grace_ms;		/* ride out an outage this long; 0: retries only */
	fetch_outage_fn *on_outage;	/* optional */
	void *on_outage_arg;
};

struct fetch_stats {
	uint64_t requests;		/* HTTP requests sent, retries included */
	uint64_t retries;
	uint64_t bytes;			/* body bytes received (and file bytes read) */
};

/*
 * The source as this fetcher sees it. An outage begins with an attempt
 * that fails for a transient reason and ends with any answer.
 */
struct fetch_health {
	uint64_t errors_transient;	/* attempts failed: refused, reset, timeouts, 5xx */
	uint64_t errors_permanent;	/* transfers failed at once: 4xx, TLS, bad answers */
	bool reachable;
	uint64_t unreachable_ms;	/* how long the outage has lasted; 0 when reachable */
	int64_t unreachable_since;	/* Unix time it began; 0 when reachable */
	uint64_t grace_ms;
	char *last_error;		/* "HOST: why", malloc'd; NULL before any error */
};

struct fetcher;

int fetcher_new(const struct fetch_opts *opts, struct fetcher **out,
		struct error **err);
void fetcher_free(struct fetcher *f);
void fetcher_stats(struct fetcher *f, struct fetch_stats *out);
/* Never blocks on a transfer: callable while readers wait out an outage. */
int fetcher_health(struct fetcher *f, struct fetch_health *out,
		   struct error **err);
void fetch_health_release(struct fetch_health *h);
/* opts.insecure: registry.c then speaks plain http to loopback registries. */
bool fetcher_insecure(const struct fetcher *f);

/* One HTTP header line ("Accept: ...") sent with every request to URLs starting with PREFIX. */
int fetcher_add_header(struct fetcher *f, const char *prefix,
		       const char *header, struct error **err);

/*
 * GET a small document whole (manifests, indexes, configs), at most
 * MAX bytes. *body is NUL-terminated and malloc'd; *content_type may be
 * NULL (else malloc'd, or set to NULL when the server sends none).
 */
int fetcher_get(struct fetcher *f, const char *url, size_t max, char **body,
		size_t *len, char **content_type, struct error **err);

/*
 * The same for a document that may not exist: a 404 fails with ENOENT
 * and is not counted as a fetch error (fetcher_health).
 */
int fetcher_get_maybe(struct fetcher *f, const char *url, size_t max,
		      char **body, size_t *len, struct error **err);

/* Size of the resource (HEAD, or fstat for files). */
int fetcher_size(struct fetcher *f, const char *url, uint64_t *size,
		 struct error **err);

/* A byte range to fetch; filled in place. */
struct fetch_range {
	uint64_t off;
	size_t len;
	void *buf;			/* LEN bytes */
	int errnum;			/* 0, or why this range failed */
};

/*
 * GET every range (exactly LEN bytes each; a short body is retried),
 * up to opts.parallel at once. Returns 0 when all succeeded, else -1
 * with *err naming the first failure; each range's errnum tells which.
 * A 206 must carry the Content-Range asked for; a 200 (Range ignored) is
 * read up to the end of the range and cut off there.
 */
int fetcher_get_ranges(struct fetcher *f, const char *url,
		       struct fetch_range *ranges, size_t n, struct error **err);

/*
 * The file a local URL names (a plain path, file:///P, file://localhost/P),
 * read with pread; NULL for http(s):// and file://OTHERHOST/.
 */
const char *fetch_local_path(const char *url);

/*
 * METHOD ("POST", "PUT") LEN bytes of BODY, of CONTENT_TYPE, to URL (the
 * registry's upload API). Any 2xx succeeds; *status gets it and
 * *location (may be NULL) the Location header, malloc'd, or NULL when
 * there was none. Retried like any request: only for idempotent ones.
 */
int fetcher_send(struct fetcher *f, const char *method, const char *url,
		 const char *content_type, const void *body, size_t len,
		 long *status, char **location, struct error **err);

/* Stream the whole resource to CB (index builds); retried from the start only before any byte reached CB. */
typedef int (*fetch_sink_fn)(void *ctx, const void *buf, size_t len,
			     struct error **err);
int fetcher_stream(struct fetcher *f, const char *url, fetch_sink_fn cb,
		   void *ctx, struct error **err);

#endif
