// SPDX-License-Identifier: MIT
/*
 * The source's outage state (fetch_int.h): one per fetcher, so that
 * readers waiting out a dead registry send one request per backoff step
 * between them, not one each.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../common/util.h"
#include "fetch_int.h"
#include "fetch_retry.h"

#define LAST_ERROR_MAX 400

int outage_init(struct outage *o)
{
	pthread_condattr_t ca;
	int rc;

	memset(o, 0, sizeof(*o));
	rc = pthread_condattr_init(&ca);
	if (!rc)
		rc = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	if (!rc)
		rc = pthread_cond_init(&o->cond, &ca);
	pthread_condattr_destroy(&ca);
	if (rc) {
		errno = rc;
		return -1;
	}
	pthread_mutex_init(&o->lock, NULL);
	return 0;
}

void outage_destroy(struct outage *o)
{
	pthread_cond_destroy(&o->cond);
	pthread_mutex_destroy(&o->lock);
	free(o->last_error);
	o->last_error = NULL;
}

/* "HOST[:PORT]" of URL for messages, malloc'd; the URL itself if unparsable. */
static char *url_host(const char *url)
{
	CURLU *u = curl_url();
	char *host = NULL, *port = NULL, *out = NULL;

	if (u && !curl_url_set(u, CURLUPART_URL, url, 0) &&
	    !curl_url_get(u, CURLUPART_HOST, &host, 0)) {
		if (curl_url_get(u, CURLUPART_PORT, &port, 0))
			port = NULL;
		if (asprintf(&out, "%s%s%s", host, port ? ":" : "", port ? port : "") < 0)
			out = NULL;
	}
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return out ? out : url_for_message(url);
}

/* Lock held. Keep "HOST: WHY" (bounded: WHY may quote a server). */
static void set_last(struct outage *o, const char *url, const char *why)
{
	char *host = url_host(url), *msg = NULL;

	if (asprintf(&msg, "%.200s: %.*s", host ? host : "?",
		     LAST_ERROR_MAX, why) < 0)
		msg = NULL;
	free(host);
	if (msg) {
		free(o->last_error);
		o->last_error = msg;
	}
}

/* Tell the owner of F that the source went down or came back. */
static void tell(struct fetcher *f, bool down, char *why)
{
	if (f->opts.on_outage)
		f->opts.on_outage(f->opts.on_outage_arg, down, why ? why : "no answer");
	free(why);
}

void outage_failed(struct fetcher *f, bool probe, const char *url, const char *why)
{
	struct outage *o = &f->outage;
	uint64_t now = now_ns();
	bool began;
	char *told = NULL;

	pthread_mutex_lock(&o->lock);
	began = !o->down;
	if (began) {
		o->down = true;
		o->since_ns = now;
		o->since_wall = (int64_t)time(NULL);
		o->probes = 0;
	}
	o->probes++;
	o->next_probe_ns = now + outage_backoff_ms(o->probes) * 1000000ull;
	if (probe)
		o->probing = false;
	o->transient++;
	set_last(o, url, why);
	if (began && f->opts.on_outage && o->last_error)
		told = strdup(o->last_error);
	pthread_cond_broadcast(&o->cond);
	pthread_mutex_unlock(&o->lock);
	if (began)
		tell(f, true, told);
}

void outage_reached(struct fetcher *f, bool probe)
{
	struct outage *o = &f->outage;
	bool ended;

	pthread_mutex_lock(&o->lock);
	ended = o->down;
	if (o->down || probe) {
		o->down = false;
		o->probing = false;
		o->probes = 0;
		pthread_cond_broadcast(&o->cond);
	}
	pthread_mutex_unlock(&o->lock);
	if (ended)
		tell(f, false, NULL);
}

void outage_permanent(struct fetcher *f, bool probe, const char *url, const char *why)
{
	struct outage *o = &f->outage;

	pthread_mutex_lock(&o->lock);
	o->permanent++;
	set_last(o, url, why);
	if (probe) {
		o->probing = false;
		pthread_cond_broadcast(&o->cond);
	}
	pthread_mutex_unlock(&o->lock);
}

void outage_release(struct fetcher *f)
{
	struct outage *o = &f->outage;

	pthread_mutex_lock(&o->lock);
	o->probing = false;
	pthread_cond_broadcast(&o->cond);
	pthread_mutex_unlock(&o->lock);
}

enum outage_gate outage_gate(struct fetcher *f, uint64_t now, bool *probe)
{
	struct outage *o = &f->outage;
	enum outage_gate g = GATE_GO;

	*probe = false;
	if (!f->opts.grace_ms)
		return GATE_GO;		/* no waiting: every transfer on its own */
	pthread_mutex_lock(&o->lock);
	if (o->down) {
		if (!o->probing && now >= o->next_probe_ns)
			o->probing = *probe = true;
		else if (now - o->since_ns >= f->opts.grace_ms * 1000000ull)
			g = GATE_EXPIRED;
		else
			g = GATE_WAIT;
	}
	pthread_mutex_unlock(&o->lock);
	return g;
}

uint64_t outage_due(struct fetcher *f, uint64_t now)
{
	struct outage *o = &f->outage;
	uint64_t due = now, end;

	if (!f->opts.grace_ms)
		return now;
	pthread_mutex_lock(&o->lock);
	if (o->down) {
		end = o->since_ns + f->opts.grace_ms * 1000000ull;
		/* while someone probes, its end wakes the waiters */
		due = o->probing || o->next_probe_ns > end ? end : o->next_probe_ns;
	}
	pthread_mutex_unlock(&o->lock);
	return due > now ? due : now;
}

void outage_sleep(struct fetcher *f, uint64_t until)
{
	struct outage *o = &f->outage;
	struct timespec ts = {
		.tv_sec = (time_t)(until / 1000000000ull),
		.tv_nsec = (long)(until % 1000000000ull),
	};
	uint64_t now;

	pthread_mutex_lock(&o->lock);
	if (o->down && f->opts.grace_ms) {
		pthread_cond_timedwait(&o->cond, &o->lock, &ts);
		pthread_mutex_unlock(&o->lock);
		return;
	}
	pthread_mutex_unlock(&o->lock);
	now = now_ns();
	if (until > now)
		sleep_ns(until - now);
}

uint64_t outage_age_ms(struct fetcher *f, uint64_t now)
{
	struct outage *o = &f->outage;
	uint64_t age = 0;

	pthread_mutex_lock(&o->lock);
	if (o->down && now > o->since_ns)
		age = (now - o->since_ns) / 1000000ull;
	pthread_mutex_unlock(&o->lock);
	return age;
}

char *outage_describe(struct fetcher *f, uint64_t now)
{
	struct outage *o = &f->outage;
	char *out = NULL;

	pthread_mutex_lock(&o->lock);
	if (asprintf(&out, "source unreachable for %" PRIu64 " s (%s)",
		     (uint64_t)(o->down && now > o->since_ns ? (now - o->since_ns) / 1000000000u : 0),
		     o->last_error ? o->last_error : "no answer") < 0)
		out = NULL;
	pthread_mutex_unlock(&o->lock);
	return out;
}

int fetcher_health(struct fetcher *f, struct fetch_health *out,
		   struct error **err)
{
	struct outage *o = &f->outage;
	uint64_t now = now_ns();
	int ret = 0;

	memset(out, 0, sizeof(*out));
	out->grace_ms = f->opts.grace_ms;
	pthread_mutex_lock(&o->lock);
	out->errors_transient = o->transient;
	out->errors_permanent = o->permanent;
	out->reachable = !o->down;
	if (o->down) {
		out->unreachable_ms = now > o->since_ns ? (now - o->since_ns) / 1000000ull : 0;
		out->unreachable_since = o->since_wall;
	}
	if (o->last_error && !(out->last_error = strdup(o->last_error)))
		ret = error_set(err, ENOMEM, "fetch health");
	pthread_mutex_unlock(&o->lock);
	return ret;
}

void fetch_health_release(struct fetch_health *h)
{
	free(h->last_error);
	h->last_error = NULL;
}
