// SPDX-License-Identifier: MIT
/*
 * Bearer tokens for registries: parse the challenge of a 401, GET
 * REALM?service=..&scope=.., keep the token per (realm, service, scope)
 * and remember which URL directory it is for.
 */
#include "fetch_auth.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "fetch_int.h"

#define TOKEN_DOC_MAX (1u << 20)
#define TOKEN_MAX (64u << 10)
#define MAX_TOKENS 64
#define MAX_SCOPES 256

/* ---- the WWW-Authenticate parser ---- */

static bool is_tchar(char c)
{
	return c && (isalnum((unsigned char)c) || strchr("!#$%&'*+-.^_`|~", c));
}

static bool is_token68_char(char c)
{
	return c && (isalnum((unsigned char)c) || strchr("-._~+/", c));
}

static void skip_ows(const char **p)
{
	while (**p == ' ' || **p == '\t')
		(*p)++;
}

static size_t token_len(const char *p)
{
	size_t n = 0;

	while (is_tchar(p[n]))
		n++;
	return n;
}

/* Does an auth-param "name = value" start at P (rather than a new scheme or a token68)? */
static bool param_starts(const char *p)
{
	size_t n = token_len(p);
	const char *q = p + n;

	if (!n)
		return false;
	skip_ows(&q);
	if (*q != '=')
		return false;
	q++;
	skip_ows(&q);
	return *q == '"' || is_tchar(*q);
}

static char *quoted_string(const char **pp, struct error **err)
{
	const char *p = *pp + 1;
	char *out = malloc(strlen(p) + 1);
	size_t n = 0;

	if (!out) {
		error_set(err, ENOMEM, "parse challenge");
		return NULL;
	}
	while (*p != '"') {
		if (*p == '\\')
			p++;
		if (!*p) {
			free(out);
			error_set_msg(err, EINVAL, "unterminated quoted string");
			return NULL;
		}
		if (((unsigned char)*p < 0x20 && *p != '\t') || *p == 0x7f) {
			free(out);
			error_set_msg(err, EINVAL, "control character in quoted string");
			return NULL;
		}
		out[n++] = *p++;
	}
	out[n] = '\0';
	*pp = p + 1;
	return out;
}

static int set_param(struct auth_challenge *c, const char *name, size_t nlen,
		     char *value, struct error **err)
{
	static const struct {
		const char *name;
		size_t off;
	} known[] = {
		{ "realm", offsetof(struct auth_challenge, realm) },
		{ "service", offsetof(struct auth_challenge, service) },
		{ "scope", offsetof(struct auth_challenge, scope) },
	};

	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		char **slot = (char **)((char *)c + known[i].off);

		if (strlen(known[i].name) != nlen ||
		    strncasecmp(known[i].name, name, nlen))
			continue;
		if (*slot) {
			free(value);
			return error_set_msg(err, EINVAL, "%s given twice", known[i].name);
		}
		*slot = value;
		return 0;
	}
	free(value);	/* error=, error_description= and others: not needed */
	return 0;
}

static int parse_param(const char **pp, struct auth_challenge *c,
		       struct error **err)
{
	const char *p = *pp, *name = p;
	size_t nlen = token_len(p);
	char *value;

	p += nlen;
	skip_ows(&p);
	p++;	/* '=', as param_starts saw */
	skip_ows(&p);
	if (*p == '"') {
		value = quoted_string(&p, err);
		if (!value)
			return -1;
	} else {
		size_t vlen = token_len(p);

		value = strndup(p, vlen);
		if (!value)
			return error_set(err, ENOMEM, "parse challenge");
		p += vlen;
	}
	*pp = p;
	return set_param(c, name, nlen, value, err);
}

/* One challenge at *PP; on return *PP is at the next one or the end. */
static int parse_challenge(const char **pp, struct auth_challenge *c,
			   struct error **err)
{
	const char *p = *pp;
	size_t n = token_len(p);
	bool first = true;

	if (!n)
		return error_set_msg(err, EINVAL, "expected an auth scheme at '%.20s'", p);
	c->scheme = strndup(p, n);
	if (!c->scheme)
		return error_set(err, ENOMEM, "parse challenge");
	p += n;
	if (*p && *p != ' ' && *p != '\t' && *p != ',')
		return error_set_msg(err, EINVAL, "bad character '%c' after scheme %s",
				     *p, c->scheme);
	skip_ows(&p);
	for (;;) {
		if (param_starts(p)) {
			if (parse_param(&p, c, err) < 0)
				return -1;
		} else if (first && is_token68_char(*p)) {
			while (is_token68_char(*p))
				p++;
			while (*p == '=')
				p++;
		}
		first = false;
		skip_ows(&p);
		if (!*p)
			break;
		if (*p != ',')
			return error_set_msg(err, EINVAL, "unexpected '%c' in %s challenge",
					     *p, c->scheme);
		while (*p == ',' || *p == ' ' || *p == '\t')
			p++;
		if (!param_starts(p))
			break;	/* the end, or the next challenge's scheme */
	}
	*pp = p;
	return 0;
}

void auth_challenges_free(struct auth_challenge *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(c[i].scheme);
		free(c[i].realm);
		free(c[i].service);
		free(c[i].scope);
	}
	free(c);
}

int auth_parse_challenges(const char *value, struct auth_challenge **out,
			  size_t *n, struct error **err)
{
	struct auth_challenge *list = NULL;
	const char *p = value;
	size_t count = 0;

	for (;;) {
		struct auth_challenge *grown;

		while (*p == ',' || *p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		grown = realloc(list, (count + 1) * sizeof(*list));
		if (!grown) {
			auth_challenges_free(list, count);
			return error_set(err, ENOMEM, "parse challenge");
		}
		list = grown;
		memset(&list[count], 0, sizeof(*list));
		count++;
		if (parse_challenge(&p, &list[count - 1], err) < 0) {
			auth_challenges_free(list, count);
			return -1;
		}
	}
	*out = list;
	*n = count;
	return 0;
}

/* ---- the token cache ---- */

int auth_cache_init(struct auth_cache *c)
{
	memset(c, 0, sizeof(*c));
	errno = pthread_mutex_init(&c->lock, NULL);
	return errno ? -1 : 0;
}

static void token_free(struct auth_token *t)
{
	free(t->realm);
	free(t->service);
	free(t->scope);
	free(t->token);
}

void auth_cache_destroy(struct auth_cache *c)
{
	for (size_t i = 0; i < c->ntokens; i++)
		token_free(&c->tokens[i]);
	for (size_t i = 0; i < c->nscopes; i++)
		free(c->scopes[i].prefix);
	free(c->tokens);
	free(c->scopes);
	pthread_mutex_destroy(&c->lock);
}

char *auth_scope_prefix(const char *url)
{
	size_t end = strcspn(url, "?#");
	const char *path = strstr(url, "://");
	size_t start = path ? (size_t)(path - url) + 3 : 0;
	size_t slash = 0;

	for (size_t i = start; i < end; i++)
		if (url[i] == '/')
			slash = i + 1;
	if (!slash)
		return NULL;	/* no path: never a registry URL */
	return strndup(url, slash);
}

static const struct auth_scope *scope_find(struct auth_cache *c,
					   const char *url)
{
	const struct auth_scope *best = NULL;

	for (size_t i = 0; i < c->nscopes; i++) {
		size_t len = strlen(c->scopes[i].prefix);

		if (!strncmp(url, c->scopes[i].prefix, len) &&
		    (!best || len > strlen(best->prefix)))
			best = &c->scopes[i];
	}
	return best;
}

int auth_token_for(struct auth_cache *c, const char *url, char **token,
		   struct error **err)
{
	const struct auth_scope *s;

	*token = NULL;
	pthread_mutex_lock(&c->lock);
	s = scope_find(c, url);
	if (s && !(*token = strdup(c->tokens[s->token].token))) {
		pthread_mutex_unlock(&c->lock);
		return error_set(err, ENOMEM, "token");
	}
	pthread_mutex_unlock(&c->lock);
	return 0;
}

static bool same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

static ssize_t token_find(struct auth_cache *c, const struct auth_challenge *ch)
{
	for (size_t i = 0; i < c->ntokens; i++)
		if (same(c->tokens[i].realm, ch->realm) &&
		    same(c->tokens[i].service, ch->service) &&
		    same(c->tokens[i].scope, ch->scope))
			return (ssize_t)i;
	return -1;
}

/* Remember that URL's directory uses token I. Lock held. */
static int scope_set(struct auth_cache *c, const char *url, size_t i)
{
	struct auth_scope *grown;
	char *prefix;

	errno = 0;
	prefix = auth_scope_prefix(url);
	if (!prefix)
		return errno ? -1 : 0;	/* no path: nothing to remember */
	for (size_t k = 0; k < c->nscopes; k++) {
		if (!strcmp(c->scopes[k].prefix, prefix)) {
			c->scopes[k].token = i;
			free(prefix);
			return 0;
		}
	}
	if (c->nscopes == MAX_SCOPES) {
		free(c->scopes[0].prefix);
		memmove(c->scopes, c->scopes + 1, --c->nscopes * sizeof(*c->scopes));
	}
	grown = realloc(c->scopes, (c->nscopes + 1) * sizeof(*grown));
	if (!grown) {
		free(prefix);
		return -1;
	}
	c->scopes = grown;
	c->scopes[c->nscopes].prefix = prefix;
	c->scopes[c->nscopes].token = i;
	c->nscopes++;
	return 0;
}

/* Forget every directory that uses token I (its slot is reused). Lock held. */
static void scopes_drop(struct auth_cache *c, size_t i)
{
	size_t k = 0;

	for (size_t j = 0; j < c->nscopes; j++) {
		if (c->scopes[j].token == i)
			free(c->scopes[j].prefix);
		else
			c->scopes[k++] = c->scopes[j];
	}
	c->nscopes = k;
}

/* Store TOKEN (taken) for CH and map URL's directory to it. Lock held. */
static int token_store(struct auth_cache *c, const struct auth_challenge *ch,
		       const char *url, char *token)
{
	struct auth_token t = { .token = token }, *grown;
	ssize_t i = token_find(c, ch);

	if (i >= 0) {
		free(c->tokens[i].token);
		c->tokens[i].token = token;
		return scope_set(c, url, (size_t)i);
	}
	if ((ch->realm && !(t.realm = strdup(ch->realm))) ||
	    (ch->service && !(t.service = strdup(ch->service))) ||
	    (ch->scope && !(t.scope = strdup(ch->scope)))) {
		token_free(&t);
		return -1;
	}
	if (c->ntokens == MAX_TOKENS) {
		/* reuse the oldest slot: nothing may keep pointing at it */
		i = 0;
		scopes_drop(c, 0);
		token_free(&c->tokens[0]);
	} else {
		grown = realloc(c->tokens, (c->ntokens + 1) * sizeof(*grown));
		if (!grown) {
			token_free(&t);
			return -1;
		}
		c->tokens = grown;
		i = (ssize_t)c->ntokens++;
	}
	c->tokens[i] = t;
	return scope_set(c, url, (size_t)i);
}

/* ---- getting a token ---- */

static int append_param(char **url, size_t *len, char *sep, const char *name,
			const char *value)
{
	size_t vlen = strlen(value), need = *len + 1 + strlen(name) + 1 + 3 * vlen + 1;
	char *p = realloc(*url, need);

	if (!p)
		return -1;
	*url = p;
	p += *len;
	*p++ = *sep;
	*sep = '&';
	p = stpcpy(p, name);
	*p++ = '=';
	for (size_t i = 0; i < vlen; i++) {
		unsigned char ch = (unsigned char)value[i];

		if (isalnum(ch) || strchr("-._~", ch)) {
			*p++ = (char)ch;
		} else {
			static const char hex[] = "0123456789ABCDEF";

			*p++ = '%';
			*p++ = hex[ch >> 4];
			*p++ = hex[ch & 15];
		}
	}
	*p = '\0';
	*len = (size_t)(p - *url);
	return 0;
}

static char *token_url(const struct auth_challenge *ch)
{
	char *url = strdup(ch->realm);
	size_t len = strlen(ch->realm);
	char sep = strchr(ch->realm, '?') ? '&' : '?';

	if (!url)
		return NULL;
	if ((ch->service && append_param(&url, &len, &sep, "service", ch->service) < 0) ||
	    (ch->scope && append_param(&url, &len, &sep, "scope", ch->scope) < 0)) {
		free(url);
		return NULL;
	}
	return url;
}

static bool token_chars_ok(const char *t)
{
	size_t n = strlen(t);

	if (!n || n > TOKEN_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (t[i] < 0x21 || t[i] > 0x7e)	/* it goes into a header line */
			return false;
	return true;
}

static int parse_token(const char *body, size_t len, char **token,
		       struct error **err)
{
	json_error_t jerr;
	json_t *doc = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	const char *t = NULL;

	if (!doc)
		return error_set_msg(err, EPROTO, "token response is not JSON: %s", jerr.text);
	if (json_is_object(doc)) {
		t = json_string_value(json_object_get(doc, "token"));
		if (!t)
			t = json_string_value(json_object_get(doc, "access_token"));
	}
	if (!t) {
		json_decref(doc);
		return error_set_msg(err, EPROTO, "token response has no token");
	}
	if (!token_chars_ok(t)) {
		json_decref(doc);
		return error_set_msg(err, EPROTO, "token response has a malformed token");
	}
	*token = strdup(t);
	json_decref(doc);
	return *token ? 0 : error_set(err, ENOMEM, "token");
}

static int fetch_token(struct fetcher *f, const char *url,
		       const struct auth_challenge *ch, char **token,
		       struct error **err)
{
	struct xfer x = {
		.kind = XFER_WHOLE,
		.max = TOKEN_DOC_MAX,
		.no_auth = true,
	};
	char *turl;
	int ret;

	if (!ch->realm)
		return error_set_msg(err, EPROTO, "bearer challenge without a realm");
	if (strncmp(ch->realm, "https://", 8) && strncmp(ch->realm, "http://", 7))
		return error_set_msg(err, EPROTO, "token realm '%.100s' is not an http(s) URL",
				     ch->realm);
	/* a token fetched in clear for a TLS registry could be swapped on the way */
	if (!strncmp(ch->realm, "http://", 7) && !strncmp(url, "https://", 8) &&
	    !f->opts.insecure)
		return error_set_msg(err, EPROTO, "token realm %.100s is plain http for an https registry",
				     ch->realm);
	turl = token_url(ch);
	if (!turl)
		return error_set(err, ENOMEM, "token URL");
	x.url = turl;
	ret = http_run(f, &x, 1);
	if (ret < 0) {
		*err = x.err;
		x.err = NULL;
	} else {
		ret = parse_token(x.body, x.body_len, token, err);
	}
	if (ret < 0)
		error_wrap(err, "bearer token");
	xfer_release(&x);
	free(turl);
	return ret;
}

static const struct auth_challenge *pick(const struct auth_challenge *c,
					 size_t n, const char *scheme)
{
	for (size_t i = 0; i < n; i++)
		if (!strcasecmp(c[i].scheme, scheme))
			return &c[i];
	return NULL;
}

int auth_answer(struct fetcher *f, const char *url, const char *challenge,
		const char *stale, struct error **err)
{
	struct auth_cache *c = &f->auth;
	const struct auth_challenge *ch;
	struct auth_challenge *list;
	char *token = NULL;
	ssize_t i;
	size_t n;
	int ret = -1;

	if (!challenge)
		return error_set_msg(err, EACCES, "HTTP 401 without WWW-Authenticate");
	if (auth_parse_challenges(challenge, &list, &n, err) < 0)
		return error_wrap(err, "HTTP 401: WWW-Authenticate");
	ch = pick(list, n, "Bearer");
	if (!ch) {
		if (pick(list, n, "Basic"))
			error_set_msg(err, EACCES,
				      "HTTP 401: the registry wants a password (Basic); only anonymous bearer tokens are supported");
		else
			error_set_msg(err, EACCES, "HTTP 401: no bearer challenge in '%.100s'", challenge);
		goto out;
	}
	pthread_mutex_lock(&c->lock);
	i = token_find(c, ch);
	if (i >= 0 && (!stale || strcmp(c->tokens[i].token, stale))) {
		/* a token we hold (or another thread just renewed) */
		ret = scope_set(c, url, (size_t)i);
		pthread_mutex_unlock(&c->lock);
		if (ret < 0)
			error_set(err, ENOMEM, "token");
		goto out;
	}
	pthread_mutex_unlock(&c->lock);
	if (fetch_token(f, url, ch, &token, err) < 0)
		goto out;
	pthread_mutex_lock(&c->lock);
	ret = token_store(c, ch, url, token);
	pthread_mutex_unlock(&c->lock);
	if (ret < 0)
		error_set(err, ENOMEM, "token");
out:
	auth_challenges_free(list, n);
	return ret;
}
