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
};

/* What one transfer asks for and what it got. */
enum xfer_kind {
	XFER_HEAD,	/* status and Content-Length only */
	XFER_RANGE,	/* exactly LEN bytes at OFF into BUF */
	XFER_WHOLE,	/* the whole body, at most MAX bytes, into BODY */
	XFER_STREAM,	/* the whole body to CB */
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

	char *body;		/* WHOLE: NUL-terminated, malloc'd */
	size_t body_len;
	char *content_type;	/* malloc'd or NULL */
	int64_t length;		/* Content-Length, -1 if none */
	int64_t total;		/* RANGE: size from Content-Range, -1 if unknown */
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

/* *DST: a copy of SRC. Returns -1. */
int error_dup(struct error **dst, const struct error *src);

/* URL without its query and fragment (signed URLs carry secrets there). */
char *url_for_message(const char *url);

#endif
