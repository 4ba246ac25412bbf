/* SPDX-License-Identifier: MIT */
/*
 * Inside the fetcher: shared by fetch.c (API, header rules),
 * fetch_http.c (the transfer engine and its pool), fetch_auth.c (bearer
 * tokens) and fetch_file.c (local files). Not for other callers. Calls
 * go down only: fetch.c -> fetch_auth.c -> fetch_http.c.
 */
#ifndef IMAGE_FETCH_INT_H
#define IMAGE_FETCH_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <curl/curl.h>

#include "../common/error.h"
#include "fetch.h"
#include "fetch_auth.h"

struct header_rule {
	char *prefix;
	char *header;
};

/* A multi handle and its connection cache, used by one call at a time. */
struct conn_slot {
	CURLM *multi;
	struct conn_slot *next;
};

/*
 * What the engine (fetch_http.c) asks of the API above it, set by
 * fetcher_new(): the header lines of a request, and a token for a 401
 * challenge. Hooks, not calls: fetching a token runs on the engine.
 */
struct fetch_hooks {
	int (*request_headers)(struct fetcher *f, const char *url, bool no_auth,
			       struct curl_slist **out, char **token,
			       struct error **err);
	int (*answer_challenge)(struct fetcher *f, const char *url,
				const char *challenge, const char *stale,
				struct error **err);
};

/*
 * The source's state shared by every transfer of a fetcher: while it is
 * down, one transfer at a time probes it (paced by outage_backoff_ms)
 * and the others wait on COND instead of adding requests.
 */
struct outage {
	pthread_mutex_t lock;
	pthread_cond_t cond;		/* CLOCK_MONOTONIC: the outage ended or a probe did */
	bool down, probing;
	uint64_t since_ns, next_probe_ns;
	int64_t since_wall;
	unsigned probes;		/* failed attempts in this outage */
	char *last_error;
	uint64_t transient, permanent;
};

struct fetcher {
	struct fetch_opts opts;		/* defaults filled in */
	CURLSH *share;			/* DNS and TLS sessions */
	pthread_mutex_t share_locks[CURL_LOCK_DATA_LAST];
	pthread_mutex_t lock;		/* idle, nidle, rules */
	struct conn_slot *idle;		/* LIFO: the warmest connections first */
	unsigned nidle;
	struct header_rule *rules;
	size_t nrules;
	struct auth_cache auth;
	struct fetch_hooks hooks;
	atomic_uint_fast64_t requests, retries, bytes;
	struct outage outage;
};

/* What one transfer asks for and what it got. */
enum xfer_kind {
	XFER_HEAD,	/* status and Content-Length only */
	XFER_RANGE,	/* exactly LEN bytes at OFF into BUF */
	XFER_WHOLE,	/* the whole body, at most MAX bytes, into BODY */
	XFER_STREAM,	/* the whole body to CB */
	XFER_SEND,	/* METHOD with a request body; status and Location only */
};

struct xfer {
	const char *url;
	enum xfer_kind kind;
	uint64_t off;
	size_t len;
	void *buf;
	size_t max;
	fetch_sink_fn cb;
	void *cb_ctx;
	bool no_auth;		/* a token request: never answer a challenge */
	bool missing_ok;	/* a 404 is an answer, not a fetch error */
	const char *method;	/* SEND: "POST" or "PUT" */
	const void *send;	/* SEND: the request body, SEND_LEN bytes */
	size_t send_len;
	const char *send_type;	/* SEND: its Content-Type */

	char *body;		/* WHOLE: NUL-terminated, malloc'd */
	size_t body_len;
	char *content_type;	/* malloc'd or NULL */
	int64_t length;		/* Content-Length, -1 if none */
	int64_t total;		/* RANGE: size from Content-Range, -1 if unknown */
	char *location;		/* SEND: the Location answered, malloc'd or NULL */
	long status;		/* the last HTTP status, 0 if none */
	struct error *err;	/* why it failed */
};

void xfer_release(struct xfer *x);

/*
 * Run N transfers to URLs, up to opts.parallel at once, each retried on
 * its own. 0 when all succeeded; else -1, and each failed one has its
 * reason in x->err.
 */
int http_run(struct fetcher *f, struct xfer *x, size_t n);

/* The same for a plain path or file:// URL, one transfer. */
bool url_is_local(const char *url);
int file_run(struct fetcher *f, struct xfer *x);

/* The engine's pool of multi handles. */
struct conn_slot *slot_get(struct fetcher *f, struct error **err);
void slot_put(struct fetcher *f, struct conn_slot *s);

/* The outage state (fetch_outage.c). */
int outage_init(struct outage *o);
void outage_destroy(struct outage *o);
/* An attempt at URL failed for a transient reason (PROBE: it was the probe). */
void outage_failed(struct fetcher *f, bool probe, const char *url, const char *why);
/* An attempt got an answer: the source is there. */
void outage_reached(struct fetcher *f, bool probe);
/* A transfer failed for good (counted; the outage state is kept). */
void outage_permanent(struct fetcher *f, bool probe, const char *url, const char *why);
/* A probe that ended without telling either way. */
void outage_release(struct fetcher *f);

enum outage_gate { GATE_GO, GATE_WAIT, GATE_EXPIRED };
/* May a transfer start an attempt at NOW? *probe: it is the outage's probe. */
enum outage_gate outage_gate(struct fetcher *f, uint64_t now, bool *probe);
/* When a transfer told to wait should ask again (at least NOW). */
uint64_t outage_due(struct fetcher *f, uint64_t now);
/* Sleep until UNTIL, or less if the outage ends or a probe does. */
void outage_sleep(struct fetcher *f, uint64_t until);
/* How long the source has been down at NOW (ms), 0 if it is not. */
uint64_t outage_age_ms(struct fetcher *f, uint64_t now);
/* "unreachable for N s (HOST: why)", malloc'd, or NULL. */
char *outage_describe(struct fetcher *f, uint64_t now);

/* *DST: a copy of SRC. Returns -1. */
int error_dup(struct error **dst, const struct error *src);

/* URL without its query and fragment (signed URLs carry secrets there). */
static inline char *url_for_message(const char *url)
{
	return strndup(url, strcspn(url, "?#"));
}

#endif
