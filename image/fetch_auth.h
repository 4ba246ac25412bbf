/* SPDX-License-Identifier: MIT */
/*
 * Registry authentication, inside the fetcher: the WWW-Authenticate
 * parser (RFC 7235: several challenges, quoted-string values with
 * escapes) and the cache of anonymous bearer tokens, one per
 * (realm, service, scope), each used for the URL directories that asked
 * for it. A token is only ever sent to a URL under such a directory, so
 * never to another host a registry redirects to.
 */
#ifndef IMAGE_FETCH_AUTH_H
#define IMAGE_FETCH_AUTH_H

#include <pthread.h>
#include <stddef.h>

#include "../common/error.h"

struct auth_challenge {
	char *scheme;		/* as sent: "Bearer", "Basic", ... */
	char *realm;		/* NULL when absent */
	char *service;
	char *scope;
};

/* Every challenge in VALUE (the WWW-Authenticate lines joined with ", "). */
int auth_parse_challenges(const char *value, struct auth_challenge **out,
			  size_t *n, struct error **err);
void auth_challenges_free(struct auth_challenge *c, size_t n);

struct auth_token {
	char *realm, *service, *scope;
	char *token;
};

struct auth_scope {
	char *prefix;		/* "scheme://host[:port]/dir/" */
	size_t token;		/* index in tokens */
};

struct auth_cache {
	pthread_mutex_t lock;
	struct auth_token *tokens;
	size_t ntokens;
	struct auth_scope *scopes;
	size_t nscopes;
};

int auth_cache_init(struct auth_cache *c);
void auth_cache_destroy(struct auth_cache *c);

/* The directory part of URL that a token is remembered for (malloc'd). */
char *auth_scope_prefix(const char *url);

struct fetcher;

/* *TOKEN: a copy of the token for URL, or NULL when none is known. */
int auth_token_for(struct auth_cache *c, const char *url, char **token,
		   struct error **err);
/*
 * Answer a 401 from URL whose WWW-Authenticate was CHALLENGE: fetch (or
 * reuse) the bearer token it names. STALE is the token the 401 refused,
 * or NULL; it is not reused.
 */
int auth_answer(struct fetcher *f, const char *url, const char *challenge,
		const char *stale, struct error **err);

#endif
