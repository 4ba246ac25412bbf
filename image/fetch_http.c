// SPDX-License-Identifier: MIT
/*
 * The HTTP transfer engine: several transfers on one curl multi handle,
 * each with its own retries, redirects and bearer-token rounds, and the
 * pool of those handles. It calls nothing above it: headers and tokens
 * come through the fetcher's hooks (fetch_int.h).
 *
 * - A range must come back as 206 with the Content-Range asked for and
 *   exactly that many bytes. A 200 (a server that ignores Range) is
 *   taken too: the body is skipped up to the offset, the range kept, and
 *   the transfer cut off there.
 * - Retried, with exponential backoff: curl errors (refused, reset,
 *   timeouts), stalls (no byte for stall_timeout_ms, checked here to the
 *   millisecond), short or overlong bodies, a wrong Content-Range, HTTP
 *   408, 429 and 5xx. Any other 4xx fails at once, as do TLS
 *   verification failures (fetch_retry.h).
 * - With a grace period, a source that fails for a transient reason is
 *   down: its transfers wait on the fetcher's outage state (one probe at
 *   a time, fetch_outage.c) until it answers again or the outage is
 *   grace_ms old.
 * - Redirects are followed here, not by curl, so that every hop gets
 *   the headers and the token meant for its own URL: a token never goes
 *   to the blob store a registry redirects to. A retry starts over at
 *   the first URL (signed redirect targets expire).
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "../common/util.h"
#include "fetch_int.h"
#include "fetch_retry.h"
#include "log.h"

#define MAX_REDIRECTS 10
#define MAX_AUTH_ROUNDS 2
#define ERRBODY_MAX 2048
#define CHALLENGE_MAX (16u << 10)
#define BACKOFF_CAP_MS 30000
#define POLL_MAX_MS 500
#define RECV_BUFFER (128L << 10)
#define USER_AGENT "ovlmig-lowerfs/1"
#define MAX_IDLE_SLOTS 32

enum run_state { RUN_PENDING, RUN_ACTIVE, RUN_DONE };

int error_dup(struct error **dst, const struct error *src)
{
	return error_set_msg(dst, src->errnum, "%s", src->msg);
}

void xfer_release(struct xfer *x)
{
	free(x->body);
	free(x->content_type);
	free(x->location);
	error_free(&x->err);
	x->body = NULL;
	x->content_type = NULL;
	x->location = NULL;
}

/* A multi handle with its warm connections, from the pool or new. */
struct conn_slot *slot_get(struct fetcher *f, struct error **err)
{
	struct conn_slot *s;

	pthread_mutex_lock(&f->lock);
	s = f->idle;
	if (s) {
		f->idle = s->next;
		f->nidle--;
	}
	pthread_mutex_unlock(&f->lock);
	if (s)
		return s;
	s = calloc(1, sizeof(*s));
	if (!s || !(s->multi = curl_multi_init())) {
		free(s);
		error_set(err, ENOMEM, "curl multi handle");
		return NULL;
	}
	/* room for the parallel ranges to a registry and to where it redirects */
	if (curl_multi_setopt(s->multi, CURLMOPT_MAXCONNECTS,
			      (long)(2 * f->opts.parallel + 2))) {
		curl_multi_cleanup(s->multi);
		free(s);
		error_set_msg(err, EINVAL, "curl multi handle: MAXCONNECTS");
		return NULL;
	}
	return s;
}

void slot_put(struct fetcher *f, struct conn_slot *s)
{
	pthread_mutex_lock(&f->lock);
	if (f->nidle < MAX_IDLE_SLOTS) {
		s->next = f->idle;
		f->idle = s;
		f->nidle++;
		s = NULL;
	}
	pthread_mutex_unlock(&f->lock);
	if (s) {
		curl_multi_cleanup(s->multi);
		free(s);
	}
}

enum body_mode {
	BODY_DISCARD,	/* HEAD, 3xx, 4xx, 5xx: keep the start for the message */
	BODY_RANGE,	/* 206: the range itself */
	BODY_SLICE,	/* 200 to a range request: cut the range out */
	BODY_WHOLE,
	BODY_STREAM,
};

struct run {
	struct xfer *x;
	struct fetcher *f;
	enum run_state state;
	CURL *easy;
	struct curl_slist *hdrs;
	char *url;		/* x->url, or where it redirected */
	char *token;		/* the bearer token sent, if any */
	char errbuf[CURL_ERROR_SIZE];
	unsigned attempt;	/* 1 for the first try */
	unsigned redirects, auth_rounds;
	uint64_t ready_ns;	/* PENDING: start no earlier */
	uint64_t last_ns;	/* ACTIVE: when the last byte came */
	bool stalled;
	bool probing;		/* ACTIVE: this attempt is the outage's probe */
	uint64_t first_fail_ns;	/* the first transient failure, 0 if none */
	uint64_t delivered;	/* STREAM: bytes given to the callback, all attempts */

	/* the current response */
	long status;
	char *content_range, *content_type, *challenge, *location;
	int64_t clen;
	enum body_mode mode;
	uint64_t pos;		/* SLICE: body bytes seen */
	size_t got;		/* bytes kept */
	size_t cap;		/* WHOLE: allocated */
	bool slice_done;
	char ebody[ERRBODY_MAX + 1];
	size_t elen;
	char *why;		/* a retryable fault seen while receiving */
	struct error *fatal;	/* a permanent one */
};

/* ---- messages ---- */

/* "GET URL (bytes A-B)" for messages, malloc'd. */
static char *describe(const struct xfer *x)
{
	char *u = url_for_message(x->url), *out = NULL;
	int n;

	if (!u)
		return NULL;
	if (x->kind == XFER_RANGE)
		n = asprintf(&out, "GET %s (bytes %" PRIu64 "-%" PRIu64 ")", u,
			     x->off, x->off + x->len - 1);
	else
		n = asprintf(&out, "%s %s", x->kind == XFER_HEAD ? "HEAD" :
				  x->kind == XFER_SEND ? x->method : "GET", u);
	free(u);
	return n < 0 ? NULL : out;
}

/* End X with ERRNUM and "DESCRIPTION: WHY[ (at REDIRECT)]". */
static void run_fail(struct run *r, int errnum, const char *why)
{
	char *d = describe(r->x), *at = NULL;

	if (strcmp(r->url, r->x->url))
		at = url_for_message(r->url);
	error_set_msg(&r->x->err, errnum, "%s: %s%s%s", d ? d : r->x->url, why,
		      at ? " at " : "", at ? at : "");
	free(d);
	free(at);
	r->state = RUN_DONE;
}

static void run_fail_error(struct run *r, struct error *e)
{
	run_fail(r, e->errnum, e->msg);
}

/* " (CODE: message)" from a registry's JSON error body, or "". */
static char *registry_error(const char *body, size_t len)
{
	json_t *doc = json_loadb(body, len, 0, NULL), *e;
	const char *code, *msg;
	char *out = NULL;
	size_t i;

	e = json_array_get(json_object_get(doc, "errors"), 0);
	code = json_string_value(json_object_get(e, "code"));
	msg = json_string_value(json_object_get(e, "message"));
	if (code && asprintf(&out, " (%.60s%s%.140s)", code, msg ? ": " : "",
			     msg ? msg : "") < 0)
		out = NULL;
	json_decref(doc);
	for (i = 0; out && out[i]; i++)	/* untrusted text goes to logs */
		if (!isprint((unsigned char)out[i]))
			out[i] = '?';
	return out;
}

static int status_errnum(long status)
{
	switch (status) {
	case 401:
	case 403:
		return EACCES;
	case 404:
	case 410:
		return ENOENT;
	default:
		return EIO;
	}
}

/* ---- receiving ---- */

static void response_free(struct run *r)
{
	free(r->content_range);
	free(r->content_type);
	free(r->challenge);
	free(r->location);
	r->content_range = r->content_type = r->challenge = r->location = NULL;
}

static void response_reset(struct run *r)
{
	response_free(r);
	r->status = 0;
	r->clen = -1;
	r->mode = BODY_DISCARD;
	r->pos = 0;
	r->got = 0;
	r->slice_done = false;
	r->elen = 0;
	if (r->x->kind == XFER_WHOLE)
		r->x->body_len = 0;
}

static int set_why(struct run *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int set_why(struct run *r, const char *fmt, ...)
{
	va_list ap;

	free(r->why);
	va_start(ap, fmt);
	if (vasprintf(&r->why, fmt, ap) < 0)
		r->why = NULL;
	va_end(ap);
	return -1;
}

static int parse_u64_at(const char **p, uint64_t *v)
{
	char *end;

	if (!isdigit((unsigned char)**p))
		return -1;
	errno = 0;
	*v = strtoull(*p, &end, 10);
	if (errno)
		return -1;
	*p = end;
	return 0;
}

/* "bytes FIRST-LAST/TOTAL" (TOTAL may be '*': -1). */
static int parse_content_range(const char *s, uint64_t *first, uint64_t *last,
			       int64_t *total)
{
	uint64_t t;

	if (strncasecmp(s, "bytes ", 6))
		return -1;
	s += 6;
	while (*s == ' ')
		s++;
	if (parse_u64_at(&s, first) < 0 || *s++ != '-' ||
	    parse_u64_at(&s, last) < 0 || *s++ != '/')
		return -1;
	if (*s == '*') {
		*total = -1;
		s++;
	} else {
		if (parse_u64_at(&s, &t) < 0 || t > INT64_MAX)
			return -1;
		*total = (int64_t)t;
	}
	return *s || *first > *last ? -1 : 0;
}

/* The status and headers are in: decide what the body is. -1 aborts. */
static int headers_done(struct run *r)
{
	struct xfer *x = r->x;
	uint64_t first, last;
	int64_t total;

	if (r->status < 200 || r->status > 299) {
		r->mode = BODY_DISCARD;
		return 0;
	}
	switch (x->kind) {
	case XFER_HEAD:
	case XFER_SEND:
		r->mode = BODY_DISCARD;
		return 0;
	case XFER_WHOLE:
		if (r->clen > (int64_t)x->max) {
			error_set_msg(&r->fatal, EFBIG, "%" PRId64 " bytes, more than %zu",
				      r->clen, x->max);
			return -1;
		}
		r->mode = BODY_WHOLE;
		return 0;
	case XFER_STREAM:
		r->mode = BODY_STREAM;
		return 0;
	case XFER_RANGE:
		break;
	}
	if (r->status == 200) {
		if (r->clen >= 0 && (uint64_t)r->clen < x->off + x->len) {
			error_set_msg(&r->fatal, EIO, "the resource has only %" PRId64 " bytes",
				      r->clen);
			return -1;
		}
		x->total = r->clen;
		r->mode = BODY_SLICE;
		return 0;
	}
	if (r->status != 206)
		return set_why(r, "HTTP %ld to a range request", r->status);
	if (!r->content_range ||
	    parse_content_range(r->content_range, &first, &last, &total) < 0)
		return set_why(r, "206 with Content-Range '%.80s'",
			       r->content_range ? r->content_range : "(none)");
	if (first != x->off || last != x->off + x->len - 1)
		return set_why(r, "206 for bytes %" PRIu64 "-%" PRIu64 ", not the range asked",
			       first, last);
	x->total = total;
	r->mode = BODY_RANGE;
	return 0;
}

static char *trimmed(const char *s, size_t len)
{
	while (len && (*s == ' ' || *s == '\t'))
		s++, len--;
	while (len && isspace((unsigned char)s[len - 1]))
		len--;
	return strndup(s, len);
}

static int append_challenge(struct run *r, const char *v, size_t len)
{
	char *joined;

	if (!r->challenge) {
		r->challenge = trimmed(v, len);
		return r->challenge ? 0 : -1;
	}
	if (strlen(r->challenge) + len > CHALLENGE_MAX)
		return 0;	/* enough to find a Bearer in */
	if (asprintf(&joined, "%s, %.*s", r->challenge, (int)len, v) < 0)
		return -1;
	free(r->challenge);
	r->challenge = trimmed(joined, strlen(joined));
	free(joined);
	return r->challenge ? 0 : -1;
}

static int header_field(struct run *r, const char *line, size_t len)
{
	const char *colon = memchr(line, ':', len);
	size_t nlen, vlen;
	const char *v;
	char **slot = NULL;

	if (!colon)
		return 0;
	nlen = (size_t)(colon - line);
	v = colon + 1;
	vlen = len - nlen - 1;
	if (nlen == 13 && !strncasecmp(line, "Content-Range", 13))
		slot = &r->content_range;
	else if (nlen == 12 && !strncasecmp(line, "Content-Type", 12))
		slot = &r->content_type;
	else if (nlen == 8 && !strncasecmp(line, "Location", 8))
		slot = &r->location;
	else if (nlen == 16 && !strncasecmp(line, "WWW-Authenticate", 16))
		return append_challenge(r, v, vlen);
	else if (nlen == 14 && !strncasecmp(line, "Content-Length", 14)) {
		char *s = trimmed(v, vlen);
		uint64_t n;

		if (!s)
			return -1;
		r->clen = parse_u64(s, 0, INT64_MAX, &n) < 0 ? -1 : (int64_t)n;
		free(s);
		return 0;
	}
	if (!slot)
		return 0;
	free(*slot);
	*slot = trimmed(v, vlen);
	return *slot ? 0 : -1;
}

static size_t on_header(char *buf, size_t size, size_t n, void *user)
{
	struct run *r = user;
	size_t len = size * n;

	r->last_ns = now_ns();
	if (len >= 5 && !strncmp(buf, "HTTP/", 5)) {
		const char *sp = memchr(buf, ' ', len);

		response_reset(r);
		if (sp && (size_t)(sp - buf) + 4 <= len && isdigit((unsigned char)sp[1]) &&
		    isdigit((unsigned char)sp[2]) && isdigit((unsigned char)sp[3]))
			r->status = (sp[1] - '0') * 100 + (sp[2] - '0') * 10 + (sp[3] - '0');
		return len;
	}
	if (len && (buf[0] == '\r' || buf[0] == '\n')) {
		if (r->status >= 100 && r->status < 200)
			return len;	/* an interim response: another follows */
		return headers_done(r) < 0 ? 0 : len;
	}
	if (header_field(r, buf, len) < 0) {
		error_set(&r->fatal, ENOMEM, "response headers");
		return 0;
	}
	return len;
}

static int body_whole(struct run *r, const char *buf, size_t len)
{
	struct xfer *x = r->x;
	size_t need = x->body_len + len + 1;

	if (x->body_len + len > x->max) {
		error_set_msg(&r->fatal, EFBIG, "more than %zu bytes", x->max);
		return -1;
	}
	if (need > r->cap) {
		size_t cap = r->cap ? r->cap : 4096;
		char *p;

		while (cap < need)
			cap *= 2;
		if (cap > x->max + 1)
			cap = x->max + 1;
		p = realloc(x->body, cap);
		if (!p) {
			error_set(&r->fatal, ENOMEM, "response body");
			return -1;
		}
		x->body = p;
		r->cap = cap;
	}
	memcpy(x->body + x->body_len, buf, len);
	x->body_len += len;
	x->body[x->body_len] = '\0';
	return 0;
}

static int body_slice(struct run *r, const char *buf, size_t len)
{
	struct xfer *x = r->x;
	uint64_t start = r->pos, end = r->pos + len;

	r->pos = end;
	if (end <= x->off)
		return 0;
	if (start < x->off) {
		buf += x->off - start;
		len -= (size_t)(x->off - start);
	}
	if (len > x->len - r->got)
		len = x->len - r->got;
	memcpy((char *)x->buf + r->got, buf, len);
	r->got += len;
	if (r->got == x->len) {
		r->slice_done = true;
		return -1;	/* have it: cut the rest off */
	}
	return 0;
}

static size_t on_body(char *buf, size_t size, size_t n, void *user)
{
	struct run *r = user;
	struct xfer *x = r->x;
	size_t len = size * n, keep;

	r->last_ns = now_ns();
	atomic_fetch_add(&r->f->bytes, (uint64_t)len);
	switch (r->mode) {
	case BODY_DISCARD:
		keep = ERRBODY_MAX - r->elen < len ? ERRBODY_MAX - r->elen : len;
		memcpy(r->ebody + r->elen, buf, keep);
		r->elen += keep;
		r->ebody[r->elen] = '\0';
		return len;
	case BODY_RANGE:
		if (len > x->len - r->got) {
			set_why(r, "more than the %zu bytes asked", x->len);
			return 0;
		}
		memcpy((char *)x->buf + r->got, buf, len);
		r->got += len;
		return len;
	case BODY_SLICE:
		return body_slice(r, buf, len) < 0 ? 0 : len;
	case BODY_WHOLE:
		return body_whole(r, buf, len) < 0 ? 0 : len;
	case BODY_STREAM:
		if (x->cb(x->cb_ctx, buf, len, &r->fatal) < 0)
			return 0;
		r->delivered += len;
		return len;
	}
	return 0;
}

/* ---- one attempt ---- */

static int setup_easy(struct run *r)
{
	struct fetcher *f = r->f;
	struct xfer *x = r->x;
	CURL *e = r->easy;
	char range[64];

	r->errbuf[0] = '\0';
	if (curl_easy_setopt(e, CURLOPT_URL, r->url) ||
	    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https") ||
	    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L) ||
	    curl_easy_setopt(e, CURLOPT_SHARE, f->share) ||
	    curl_easy_setopt(e, CURLOPT_PRIVATE, r) ||
	    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, r->errbuf) ||
	    curl_easy_setopt(e, CURLOPT_HTTPHEADER, r->hdrs) ||
	    curl_easy_setopt(e, CURLOPT_USERAGENT, USER_AGENT) ||
	    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)f->opts.connect_timeout_ms) ||
	    curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L) ||
	    curl_easy_setopt(e, CURLOPT_BUFFERSIZE, RECV_BUFFER) ||
	    curl_easy_setopt(e, CURLOPT_HTTP_CONTENT_DECODING, 0L) ||
	    curl_easy_setopt(e, CURLOPT_SUPPRESS_CONNECT_HEADERS, 1L) ||
	    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header) ||
	    curl_easy_setopt(e, CURLOPT_HEADERDATA, r) ||
	    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body) ||
	    curl_easy_setopt(e, CURLOPT_WRITEDATA, r))
		return -1;
	if (f->opts.insecure &&
	    (curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L) ||
	     curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L)))
		return -1;
	if (x->kind == XFER_HEAD && curl_easy_setopt(e, CURLOPT_NOBODY, 1L))
		return -1;
	if (x->kind == XFER_SEND &&
	    (curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)x->send_len) ||
	     curl_easy_setopt(e, CURLOPT_POSTFIELDS, x->send_len ? x->send : "") ||
	     curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, x->method)))
		return -1;
	if (x->kind == XFER_RANGE) {
		snprintf(range, sizeof(range), "%" PRIu64 "-%" PRIu64, x->off,
			 x->off + x->len - 1);
		if (curl_easy_setopt(e, CURLOPT_RANGE, range))
			return -1;
	}
	return 0;
}

static void attempt_cleanup(struct run *r, CURLM *multi)
{
	if (r->easy) {
		curl_multi_remove_handle(multi, r->easy);
		curl_easy_cleanup(r->easy);
		r->easy = NULL;
	}
	curl_slist_free_all(r->hdrs);
	r->hdrs = NULL;
	free(r->token);
	r->token = NULL;
	free(r->why);
	r->why = NULL;
	error_free(&r->fatal);
	r->stalled = false;
	if (r->probing) {
		outage_release(r->f);
		r->probing = false;
	}
}

/* A body's type, and no "Expect: 100-continue" round trip before it. */
static int send_headers(struct run *r)
{
	struct curl_slist *l;
	char *line;

	if (asprintf(&line, "Content-Type: %s", r->x->send_type) < 0)
		return -1;
	l = curl_slist_append(r->hdrs, line);
	free(line);
	if (!l)
		return -1;
	r->hdrs = l;
	l = curl_slist_append(r->hdrs, "Expect:");
	if (!l)
		return -1;
	r->hdrs = l;
	return 0;
}

static int attempt_start(struct run *r, CURLM *multi)
{
	struct error *e = NULL;

	if (r->f->hooks.request_headers(r->f, r->url, r->x->no_auth, &r->hdrs,
					  &r->token, &e) < 0) {
		run_fail_error(r, e);
		error_free(&e);
		return -1;
	}
	if (r->x->kind == XFER_SEND && send_headers(r) < 0) {
		run_fail(r, ENOMEM, "request headers");
		attempt_cleanup(r, multi);
		return -1;
	}
	r->easy = curl_easy_init();
	if (!r->easy || setup_easy(r) < 0 || curl_multi_add_handle(multi, r->easy)) {
		run_fail(r, ENOMEM, "cannot set up the request");
		attempt_cleanup(r, multi);
		return -1;
	}
	response_reset(r);
	r->last_ns = now_ns();
	r->state = RUN_ACTIVE;
	atomic_fetch_add(&r->f->requests, 1);
	return 0;
}

/* Give up on R: "WHY after N attempts", or the outage it could not wait out. */
static void give_up(struct run *r, enum fetch_fault fault, const char *why,
		    uint64_t outage_ms)
{
	char *msg = NULL;
	int n;

	if (fault == FAULT_TRANSIENT && r->f->opts.grace_ms)
		n = asprintf(&msg, "%s; the source failed for %" PRIu64 " s, the grace period is %" PRIu64 " s",
			     why, outage_ms / 1000, r->f->opts.grace_ms / 1000);
	else
		n = asprintf(&msg, "%s after %u attempts", why, r->attempt);
	if (n < 0)
		msg = NULL;
	run_fail(r, EIO, msg ? msg : why);
	free(msg);
}

/* Start over at the first URL after a delay, or give up. */
static void retry(struct run *r, enum fetch_fault fault, const char *why)
{
	struct fetcher *f = r->f;
	uint64_t delay, now = now_ns(), outage_ms = 0;
	char *d, *msg = NULL;

	if (fault == FAULT_TRANSIENT) {
		if (!r->first_fail_ns)
			r->first_fail_ns = now;
		/* the older of the source's outage and this transfer's own */
		outage_ms = outage_age_ms(f, now);
		if ((now - r->first_fail_ns) / 1000000ull > outage_ms)
			outage_ms = (now - r->first_fail_ns) / 1000000ull;
	}
	if (r->x->kind == XFER_STREAM && r->delivered) {
		if (asprintf(&msg, "%s after %" PRIu64 " bytes (a stream cannot resume)",
			     why, r->delivered) < 0)
			msg = NULL;
		run_fail(r, EIO, msg ? msg : why);
		free(msg);
		return;
	}
	if (fetch_retry_verdict(fault, r->attempt, f->opts.retries, outage_ms,
				f->opts.grace_ms) == RETRY_GIVE_UP) {
		give_up(r, fault, why, outage_ms);
		return;
	}
	if (fault == FAULT_TRANSIENT && f->opts.grace_ms) {
		delay = outage_backoff_ms(r->attempt);
	} else {
		delay = f->opts.backoff_ms << (r->attempt - 1 < 20 ? r->attempt - 1 : 20);
		if (delay > BACKOFF_CAP_MS)
			delay = BACKOFF_CAP_MS;
	}
	d = describe(r->x);
	if (fault == FAULT_TRANSIENT && f->opts.grace_ms && f->opts.on_outage)
		;	/* the owner was told the outage began: no line per retry */
	else if (fault == FAULT_TRANSIENT && f->opts.grace_ms)
		image_log("%s: %s; retry %u in %" PRIu64 " ms (source failing for %" PRIu64 " s of a %" PRIu64 " s grace period)",
			  d ? d : r->x->url, why, r->attempt, delay, outage_ms / 1000,
			  f->opts.grace_ms / 1000);
	else
		image_log("%s: %s; retry %u of %u in %" PRIu64 " ms", d ? d : r->x->url,
			  why, r->attempt, f->opts.retries, delay);
	free(d);
	atomic_fetch_add(&f->retries, 1);
	r->attempt++;
	r->redirects = 0;
	r->auth_rounds = 0;
	if (strcmp(r->url, r->x->url)) {
		char *first = strdup(r->x->url);

		if (!first) {
			run_fail(r, ENOMEM, why);
			return;
		}
		free(r->url);
		r->url = first;
	}
	r->ready_ns = now + delay * 1000000ull;
	r->state = RUN_PENDING;
}

/*
 * Once on https, every hop stays there, --insecure or not: on plain http
 * anyone on the path could read the request or change the answer.
 */
static void refuse_downgrade(struct run *r, const char *to)
{
	char *from = url_for_message(r->url), *dest = url_for_message(to), *why = NULL;

	if (!from || !dest ||
	    asprintf(&why, "redirect from %s to %s refused: https is never downgraded to http",
		     from, dest) < 0)
		why = NULL;
	run_fail(r, EPROTO, why ? why : "redirect from https to http refused");
	free(why);
	free(from);
	free(dest);
}

static void follow(struct run *r, long status)
{
	char *to = NULL, why[64];

	if (curl_easy_getinfo(r->easy, CURLINFO_REDIRECT_URL, &to) || !to) {
		snprintf(why, sizeof(why), "HTTP %ld without a Location", status);
		run_fail(r, EIO, why);
		return;
	}
	if (++r->redirects > MAX_REDIRECTS) {
		run_fail(r, EIO, "too many redirects");
		return;
	}
	if (strncmp(to, "https://", 8) && strncmp(to, "http://", 7)) {
		run_fail(r, EIO, "redirected to a URL that is not http(s)");
		return;
	}
	if (!strncasecmp(r->url, "https://", 8) && strncmp(to, "https://", 8)) {
		refuse_downgrade(r, to);
		return;
	}
	to = strdup(to);
	if (!to) {
		run_fail(r, ENOMEM, "redirect");
		return;
	}
	free(r->url);
	r->url = to;
	r->ready_ns = 0;
	r->state = RUN_PENDING;
}

/* 401: get a token and try again at once. */
static void answer(struct run *r)
{
	struct error *e = NULL;

	if (r->x->no_auth) {
		run_fail(r, EACCES, "HTTP 401 (the token server wants credentials)");
		return;
	}
	if (++r->auth_rounds > MAX_AUTH_ROUNDS) {
		run_fail(r, EACCES, "HTTP 401 even with a fresh token");
		return;
	}
	if (r->f->hooks.answer_challenge(r->f, r->url, r->challenge, r->token, &e) < 0) {
		run_fail_error(r, e);
		error_free(&e);
		return;
	}
	r->ready_ns = 0;
	r->state = RUN_PENDING;
}

static void attempt_ok(struct run *r)
{
	struct xfer *x = r->x;
	char why[96];

	switch (x->kind) {
	case XFER_RANGE:
		if (r->got != x->len) {
			snprintf(why, sizeof(why), "short body: %zu of %zu bytes",
				 r->got, x->len);
			outage_failed(r->f, r->probing, r->url, why);
			r->probing = false;
			retry(r, FAULT_TRANSIENT, why);
			return;
		}
		break;
	case XFER_HEAD:
		x->length = r->clen;
		break;
	case XFER_WHOLE:
		if (!x->body && !(x->body = calloc(1, 1))) {
			run_fail(r, ENOMEM, "response body");
			return;
		}
		break;
	case XFER_STREAM:
		break;
	case XFER_SEND:
		free(x->location);
		x->location = r->location;
		r->location = NULL;
		break;
	}
	free(x->content_type);
	x->content_type = r->content_type;
	r->content_type = NULL;
	r->state = RUN_DONE;
}

/* A transient failure: the source may be down. */
static void transient(struct run *r, const char *why)
{
	outage_failed(r->f, r->probing, r->url, why);
	r->probing = false;
	retry(r, FAULT_TRANSIENT, why);
}

/* A failure for good: counted, then R ends. */
static void permanent(struct run *r, int errnum, const char *why)
{
	outage_permanent(r->f, r->probing, r->url, why);
	r->probing = false;
	run_fail(r, errnum, why);
}

/* The source answered (whatever it said): not down. */
static void reached(struct run *r)
{
	outage_reached(r->f, r->probing);
	r->probing = false;
}

/* "... (Connection refused)": curl's "Couldn't connect" does not say which. */
static void add_os_error(struct run *r, char *why, size_t size)
{
	long oserr = 0;
	char buf[128];
	const char *text;
	size_t len = strlen(why);

	if (!r->easy || curl_easy_getinfo(r->easy, CURLINFO_OS_ERRNO, &oserr) ||
	    oserr <= 0)
		return;
	text = strerror_r((int)oserr, buf, sizeof(buf));	/* GNU: thread-safe */
	if (!strstr(why, text))
		snprintf(why + len, size - len, " (%s)", text);
}

/* The attempt ended with RC: done, retry, follow, answer, or fail. */
static void attempt_end(struct run *r, CURLcode rc)
{
	char why[CURL_ERROR_SIZE + 160];
	char *detail;
	long status = r->status;

	r->x->status = status;
	if (r->fatal) {
		permanent(r, r->fatal->errnum, r->fatal->msg);
	} else if (r->stalled) {
		snprintf(why, sizeof(why), "stalled: no data for %" PRIu64 " ms",
			 r->f->opts.stall_timeout_ms);
		transient(r, why);
	} else if (r->why) {
		/* a wrong answer is still an answer */
		reached(r);
		retry(r, FAULT_ODD, r->why);
	} else if (rc != CURLE_OK && !r->slice_done) {
		/* curl's detail names the cause itself when it has one */
		snprintf(why, sizeof(why), "%s",
			 r->errbuf[0] ? r->errbuf : curl_easy_strerror(rc));
		add_os_error(r, why, sizeof(why));
		if (fetch_fault_of_curl(rc) == FAULT_PERMANENT)
			permanent(r, EIO, why);
		else
			transient(r, why);
	} else if (status >= 200 && status <= 299) {
		reached(r);
		attempt_ok(r);
	} else if (status == 301 || status == 302 || status == 303 ||
		   status == 307 || status == 308) {
		reached(r);
		follow(r, status);
	} else if (status == 401) {
		reached(r);
		answer(r);
	} else if (status == 404 && r->x->missing_ok) {
		reached(r);
		run_fail(r, ENOENT, "HTTP 404");
	} else {
		detail = registry_error(r->ebody, r->elen);
		snprintf(why, sizeof(why), "HTTP %ld%s", status, detail ? detail : "");
		free(detail);
		if (fetch_fault_of_status(status) == FAULT_TRANSIENT)
			transient(r, why);
		else
			permanent(r, status_errnum(status), why);
	}
}

/* ---- the loop ---- */

struct engine {
	struct fetcher *f;
	CURLM *multi;
	struct run *runs;
	size_t n;
	size_t active, remaining;
};

static void finish(struct engine *g, struct run *r, CURLcode rc)
{
	attempt_end(r, rc);
	attempt_cleanup(r, g->multi);
	g->active--;
	if (r->state == RUN_DONE)
		g->remaining--;
}

static void start_ready(struct engine *g, uint64_t now)
{
	for (size_t i = 0; i < g->n && g->active < g->f->opts.parallel; i++) {
		struct run *r = &g->runs[i];
		enum outage_gate gate;
		bool probe;
		char *why;

		if (r->state != RUN_PENDING || r->ready_ns > now)
			continue;
		gate = outage_gate(g->f, now, &probe);
		if (gate == GATE_WAIT)
			continue;	/* the source is down: wait for its probe */
		if (gate == GATE_EXPIRED) {
			why = outage_describe(g->f, now);
			run_fail(r, EIO, why ? why : "source unreachable");
			free(why);
			g->remaining--;
			continue;
		}
		r->probing = probe;
		if (attempt_start(r, g->multi) < 0) {
			if (r->probing)
				outage_release(g->f);
			r->probing = false;
			g->remaining--;
		} else {
			g->active++;
		}
	}
}

static void collect(struct engine *g)
{
	bool waited = false;
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(g->multi, &left))) {
		CURLcode rc = msg->data.result;
		char *priv = NULL;
		struct run *r;

		if (msg->msg != CURLMSG_DONE ||
		    curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv) || !priv)
			continue;
		r = (struct run *)priv;
		if (r->status == 401)
			waited = true;	/* a token fetch may block a while */
		finish(g, r, rc);
	}
	if (waited) {
		uint64_t now = now_ns();

		/* the others were not watched meanwhile: do not call them stalled */
		for (size_t i = 0; i < g->n; i++)
			if (g->runs[i].state == RUN_ACTIVE)
				g->runs[i].last_ns = now;
	}
}

static void check_stalls(struct engine *g, uint64_t now)
{
	uint64_t stall = g->f->opts.stall_timeout_ms * 1000000ull;

	for (size_t i = 0; i < g->n; i++) {
		struct run *r = &g->runs[i];

		if (r->state == RUN_ACTIVE && now - r->last_ns > stall) {
			r->stalled = true;
			finish(g, r, CURLE_OPERATION_TIMEDOUT);
		}
	}
}

/* How long until something is due: a stall or a pending start (ms). */
static int wait_ms(struct engine *g, uint64_t now)
{
	uint64_t stall = g->f->opts.stall_timeout_ms * 1000000ull;
	uint64_t best = POLL_MAX_MS * 1000000ull;
	uint64_t gate = outage_due(g->f, now);

	for (size_t i = 0; i < g->n; i++) {
		struct run *r = &g->runs[i];
		uint64_t due;

		if (r->state == RUN_ACTIVE)
			due = r->last_ns + stall;
		else if (r->state == RUN_PENDING && g->active < g->f->opts.parallel)
			due = r->ready_ns > gate ? r->ready_ns : gate;
		else
			continue;
		if (due <= now)
			return 0;
		if (due - now < best)
			best = due - now;
	}
	return (int)(best / 1000000ull) + 1;
}

static void fail_active(struct engine *g, const char *why)
{
	for (size_t i = 0; i < g->n; i++) {
		struct run *r = &g->runs[i];

		if (r->state == RUN_DONE)
			continue;
		run_fail(r, EIO, why);
		attempt_cleanup(r, g->multi);
	}
	g->active = g->remaining = 0;
}

static void loop(struct engine *g)
{
	while (g->remaining) {
		uint64_t now = now_ns();
		int running;
		CURLMcode mc;

		start_ready(g, now);
		if (!g->remaining)
			break;
		if (!g->active) {
			/* woken early when the outage ends or a probe does */
			outage_sleep(g->f, now + (uint64_t)wait_ms(g, now) * 1000000ull);
			continue;
		}
		mc = curl_multi_perform(g->multi, &running);
		if (mc) {
			fail_active(g, curl_multi_strerror(mc));
			break;
		}
		collect(g);
		now = now_ns();
		check_stalls(g, now);
		if (!g->active)
			continue;
		mc = curl_multi_poll(g->multi, NULL, 0, wait_ms(g, now), NULL);
		if (mc) {
			fail_active(g, curl_multi_strerror(mc));
			break;
		}
	}
}

int http_run(struct fetcher *f, struct xfer *x, size_t n)
{
	struct engine g = { .f = f, .n = n };
	struct conn_slot *slot;
	struct error *e = NULL;
	int ret = 0;

	g.runs = calloc(n, sizeof(*g.runs));
	slot = g.runs ? slot_get(f, &e) : NULL;
	if (!slot) {
		for (size_t i = 0; i < n; i++)
			if (e)
				error_dup(&x[i].err, e);
			else
				error_set(&x[i].err, ENOMEM, "fetch");
		error_free(&e);
		free(g.runs);
		return -1;
	}
	g.multi = slot->multi;
	for (size_t i = 0; i < n; i++) {
		struct run *r = &g.runs[i];

		r->x = &x[i];
		r->f = f;
		r->attempt = 1;
		r->clen = -1;
		x[i].length = -1;
		x[i].total = -1;
		r->url = strdup(x[i].url);
		if (!r->url) {
			error_set(&x[i].err, ENOMEM, "fetch");
			r->state = RUN_DONE;
		} else if (x[i].kind == XFER_RANGE && !x[i].len) {
			r->state = RUN_DONE;
		} else {
			g.remaining++;
		}
	}
	loop(&g);
	slot_put(f, slot);
	for (size_t i = 0; i < n; i++) {
		struct run *r = &g.runs[i];

		response_free(r);
		free(r->url);
		if (x[i].err)
			ret = -1;
	}
	free(g.runs);
	return ret;
}
