// SPDX-License-Identifier: MIT
/*
 * The fetcher's API: options, header rules, bearer tokens
 * (fetch_auth.c) for the engine's requests, and dispatch to local files
 * (fetch_file.c) or HTTP (fetch_http.c, which keeps the pool).
 *
 * Connection reuse: libcurl's shared connection cache (CURLSHOPT_SHARE
 * with CURL_LOCK_DATA_CONNECT) is not safe for transfers in several
 * threads at once (libcurl KNOWN_BUGS, curl issue #4915), so each call
 * takes a multi handle from a pool, runs its transfers on it and gives it
 * back with its open connections: the next call, in whatever thread,
 * reuses them. DNS and TLS sessions are shared by all (CURLSH, locked).
 */
#include "fetch.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fetch_int.h"

#define DEFAULT_RETRIES 4
#define DEFAULT_CONNECT_MS 10000
#define DEFAULT_STALL_MS 15000
#define DEFAULT_BACKOFF_MS 100
#define DEFAULT_PARALLEL 4
#define MAX_PARALLEL 64
#define MAX_RULES 256
#define MAX_HEADER 8192

static int request_headers(struct fetcher *f, const char *url, bool no_auth,
			   struct curl_slist **out, char **token, struct error **err);

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;

static void curl_init(void)
{
	curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static void share_lock(CURL *h, curl_lock_data data, curl_lock_access access,
		       void *user)
{
	struct fetcher *f = user;

	(void)h;
	(void)access;
	pthread_mutex_lock(&f->share_locks[data]);
}

static void share_unlock(CURL *h, curl_lock_data data, void *user)
{
	struct fetcher *f = user;

	(void)h;
	pthread_mutex_unlock(&f->share_locks[data]);
}

static void set_defaults(struct fetch_opts *o)
{
	if (!o->retries)
		o->retries = DEFAULT_RETRIES;
	if (!o->connect_timeout_ms)
		o->connect_timeout_ms = DEFAULT_CONNECT_MS;
	if (!o->stall_timeout_ms)
		o->stall_timeout_ms = DEFAULT_STALL_MS;
	if (!o->backoff_ms)
		o->backoff_ms = DEFAULT_BACKOFF_MS;
	if (!o->parallel)
		o->parallel = DEFAULT_PARALLEL;
	if (o->parallel > MAX_PARALLEL)
		o->parallel = MAX_PARALLEL;
}

static int share_setup(struct fetcher *f)
{
	f->share = curl_share_init();
	if (!f->share)
		return -1;
	if (curl_share_setopt(f->share, CURLSHOPT_LOCKFUNC, share_lock) ||
	    curl_share_setopt(f->share, CURLSHOPT_UNLOCKFUNC, share_unlock) ||
	    curl_share_setopt(f->share, CURLSHOPT_USERDATA, f) ||
	    curl_share_setopt(f->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS) ||
	    curl_share_setopt(f->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION))
		return -1;
	return 0;
}

int fetcher_new(const struct fetch_opts *opts, struct fetcher **out,
		struct error **err)
{
	struct fetcher *f;
	int i;

	pthread_once(&curl_once, curl_init);
	if (curl_init_rc)
		return error_set_msg(err, EIO, "libcurl: %s", curl_easy_strerror(curl_init_rc));
	f = calloc(1, sizeof(*f));
	if (!f)
		return error_set(err, ENOMEM, "fetcher");
	if (opts)
		f->opts = *opts;
	set_defaults(&f->opts);
	for (i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_init(&f->share_locks[i], NULL);
	pthread_mutex_init(&f->lock, NULL);
	if (outage_init(&f->outage) < 0) {
		error_set(err, errno, "fetcher");
		pthread_mutex_destroy(&f->lock);
		for (i = 0; i < CURL_LOCK_DATA_LAST; i++)
			pthread_mutex_destroy(&f->share_locks[i]);
		free(f);
		return -1;
	}
	f->hooks = (struct fetch_hooks){ request_headers, auth_answer };
	if (auth_cache_init(&f->auth) < 0) {
		error_set(err, errno, "fetcher");
		goto fail_locks;
	}
	if (share_setup(f) < 0) {
		error_set(err, ENOMEM, "fetcher: curl share");
		goto fail;
	}
	*out = f;
	return 0;
fail:
	if (f->share)
		curl_share_cleanup(f->share);
	auth_cache_destroy(&f->auth);
fail_locks:
	for (i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_destroy(&f->share_locks[i]);
	pthread_mutex_destroy(&f->lock);
	outage_destroy(&f->outage);
	free(f);
	return -1;
}

void fetcher_free(struct fetcher *f)
{
	if (!f)
		return;
	while (f->idle) {
		struct conn_slot *s = f->idle;

		f->idle = s->next;
		curl_multi_cleanup(s->multi);
		free(s);
	}
	curl_share_cleanup(f->share);
	for (size_t i = 0; i < f->nrules; i++) {
		free(f->rules[i].prefix);
		free(f->rules[i].header);
	}
	free(f->rules);
	auth_cache_destroy(&f->auth);
	for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_destroy(&f->share_locks[i]);
	pthread_mutex_destroy(&f->lock);
	outage_destroy(&f->outage);
	free(f);
}

void fetcher_stats(struct fetcher *f, struct fetch_stats *out)
{
	out->requests = atomic_load(&f->requests);
	out->retries = atomic_load(&f->retries);
	out->bytes = atomic_load(&f->bytes);
}

bool fetcher_insecure(const struct fetcher *f)
{
	return f->opts.insecure;
}

int fetcher_add_header(struct fetcher *f, const char *prefix,
		       const char *header, struct error **err)
{
	struct header_rule *grown, r;
	const char *colon = strchr(header, ':');

	if (!colon || colon == header || strpbrk(header, "\r\n") ||
	    strlen(header) > MAX_HEADER)
		return error_set_msg(err, EINVAL, "bad header line '%.60s'", header);
	pthread_mutex_lock(&f->lock);
	for (size_t i = 0; i < f->nrules; i++) {
		if (!strcmp(f->rules[i].prefix, prefix) &&
		    !strcmp(f->rules[i].header, header)) {
			pthread_mutex_unlock(&f->lock);
			return 0;
		}
	}
	if (f->nrules == MAX_RULES) {
		pthread_mutex_unlock(&f->lock);
		return error_set_msg(err, ENOSPC, "more than %d header rules", MAX_RULES);
	}
	r.prefix = strdup(prefix);
	r.header = strdup(header);
	grown = realloc(f->rules, (f->nrules + 1) * sizeof(*grown));
	if (!r.prefix || !r.header || !grown) {
		if (grown)
			f->rules = grown;
		pthread_mutex_unlock(&f->lock);
		free(r.prefix);
		free(r.header);
		return error_set(err, ENOMEM, "header rule");
	}
	f->rules = grown;
	f->rules[f->nrules++] = r;
	pthread_mutex_unlock(&f->lock);
	return 0;
}

/* Header rules and the bearer token: the engine asks through f->hooks. */
static int request_headers(struct fetcher *f, const char *url, bool no_auth,
			   struct curl_slist **out, char **token, struct error **err)
{
	struct curl_slist *list = NULL, *l;
	char *line;

	*token = NULL;
	pthread_mutex_lock(&f->lock);
	for (size_t i = 0; i < f->nrules; i++) {
		if (strncmp(url, f->rules[i].prefix, strlen(f->rules[i].prefix)))
			continue;
		l = curl_slist_append(list, f->rules[i].header);
		if (!l) {
			pthread_mutex_unlock(&f->lock);
			curl_slist_free_all(list);
			return error_set(err, ENOMEM, "request headers");
		}
		list = l;
	}
	pthread_mutex_unlock(&f->lock);
	if (!no_auth && auth_token_for(&f->auth, url, token, err) < 0) {
		curl_slist_free_all(list);
		return -1;
	}
	if (*token) {
		if (asprintf(&line, "Authorization: Bearer %s", *token) < 0)
			line = NULL;
		l = line ? curl_slist_append(list, line) : NULL;
		free(line);
		if (!l) {
			curl_slist_free_all(list);
			free(*token);
			*token = NULL;
			return error_set(err, ENOMEM, "request headers");
		}
		list = l;
	}
	*out = list;
	return 0;
}

/* Run X (N of them, all to URL) and name the first failure in *ERR. */
static int run(struct fetcher *f, struct xfer *x, size_t n, struct error **err)
{
	int ret = 0;

	if (url_is_local(x[0].url)) {
		for (size_t i = 0; i < n; i++)
			if (file_run(f, &x[i]) < 0)
				ret = -1;
	} else {
		ret = http_run(f, x, n);
	}
	if (ret == 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (x[i].err)
			return error_dup(err, x[i].err);
	return error_set_msg(err, EIO, "fetch %s", x[0].url);
}

int fetcher_get(struct fetcher *f, const char *url, size_t max, char **body,
		size_t *len, char **content_type, struct error **err)
{
	struct xfer x = { .url = url, .kind = XFER_WHOLE, .max = max };

	if (run(f, &x, 1, err) < 0) {
		xfer_release(&x);
		return -1;
	}
	*body = x.body;
	*len = x.body_len;
	x.body = NULL;
	if (content_type) {
		*content_type = x.content_type;
		x.content_type = NULL;
	}
	xfer_release(&x);
	return 0;
}

int fetcher_get_maybe(struct fetcher *f, const char *url, size_t max,
		      char **body, size_t *len, struct error **err)
{
	struct xfer x = {
		.url = url, .kind = XFER_WHOLE, .max = max, .missing_ok = true,
	};

	if (run(f, &x, 1, err) < 0) {
		xfer_release(&x);
		return -1;
	}
	*body = x.body;
	*len = x.body_len;
	x.body = NULL;
	xfer_release(&x);
	return 0;
}

int fetcher_size(struct fetcher *f, const char *url, uint64_t *size,
		 struct error **err)
{
	struct xfer head = { .url = url, .kind = XFER_HEAD };
	unsigned char byte;
	struct xfer probe = {
		.url = url, .kind = XFER_RANGE, .len = 1, .buf = &byte,
	};
	int ret;

	ret = run(f, &head, 1, err);
	if (ret == 0 && head.length >= 0) {
		*size = (uint64_t)head.length;
		xfer_release(&head);
		return 0;
	}
	/* blob stores often refuse HEAD on signed URLs: ask for one byte */
	if (ret < 0 && head.status != 403 && head.status != 405 &&
	    head.status != 501) {
		xfer_release(&head);
		return -1;
	}
	error_free(err);
	xfer_release(&head);
	ret = run(f, &probe, 1, err);
	if (ret == 0 && probe.total < 0)
		ret = error_set_msg(err, EPROTO, "size of %s: the server does not say",
				    url);
	if (ret == 0)
		*size = (uint64_t)probe.total;
	xfer_release(&probe);
	return ret;
}

int fetcher_get_ranges(struct fetcher *f, const char *url,
		       struct fetch_range *ranges, size_t n, struct error **err)
{
	struct xfer *x;
	int ret;

	if (!n)
		return 0;
	x = calloc(n, sizeof(*x));
	if (!x)
		return error_set(err, ENOMEM, "fetch %zu ranges", n);
	for (size_t i = 0; i < n; i++) {
		x[i].url = url;
		x[i].kind = XFER_RANGE;
		x[i].off = ranges[i].off;
		x[i].len = ranges[i].len;
		x[i].buf = ranges[i].buf;
	}
	ret = run(f, x, n, err);
	for (size_t i = 0; i < n; i++) {
		ranges[i].errnum = x[i].err ? x[i].err->errnum : 0;
		if (x[i].err && !ranges[i].errnum)
			ranges[i].errnum = EIO;
		xfer_release(&x[i]);
	}
	free(x);
	return ret;
}

int fetcher_send(struct fetcher *f, const char *method, const char *url,
		 const char *content_type, const void *body, size_t len,
		 long *status, char **location, struct error **err)
{
	struct xfer x = {
		.url = url, .kind = XFER_SEND, .method = method, .send = body,
		.send_len = len, .send_type = content_type,
	};
	int ret = run(f, &x, 1, err);

	if (status)
		*status = x.status;
	if (location) {
		*location = x.location;
		x.location = NULL;
	}
	xfer_release(&x);
	return ret;
}

int fetcher_stream(struct fetcher *f, const char *url, fetch_sink_fn cb,
		   void *ctx, struct error **err)
{
	struct xfer x = { .url = url, .kind = XFER_STREAM, .cb = cb, .cb_ctx = ctx };
	int ret = run(f, &x, 1, err);

	xfer_release(&x);
	return ret;
}
