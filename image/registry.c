// SPDX-License-Identifier: MIT
/*
 * docker://HOST[:PORT]/NAME[:TAG|@sha256:HEX] — a registry, API v2:
 * GET /v2/NAME/manifests/REF with the Accept header of the four image
 * document types, an index resolved to the manifest for the platform
 * (fetched by digest and checked), layers at /v2/NAME/blobs/DIGEST.
 */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/error.h"
#include "manifest.h"
#include "registry.h"

#define NAME_MAX_LEN 255
#define TAG_MAX_LEN 128
#define HOST_MAX_LEN 255

struct docker_ref {
	char *base;		/* "https://HOST[:PORT]" */
	char *name;		/* repository, "library/x" for Docker Hub's x */
	char *ref;		/* tag or digest */
	bool by_digest;
};

static void ref_free(struct docker_ref *r)
{
	free(r->base);
	free(r->name);
	free(r->ref);
}

/* HOST[:PORT] or [IPv6]:PORT: letters, digits, '.', '-', ':' and brackets. */
static bool host_ok(const char *h, size_t len)
{
	if (!len || len > HOST_MAX_LEN)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)h[i]) && !strchr(".-:[]", h[i]))
			return false;
	return h[0] != '.' && h[0] != '-' && h[0] != ':';
}

/* Repository names: lowercase components of [a-z0-9] joined by '.', '_', '-', split by '/'. */
static bool name_ok(const char *n)
{
	size_t len = strlen(n);
	bool start = true;

	if (!len || len > NAME_MAX_LEN)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = n[i];

		if (islower((unsigned char)c) || isdigit((unsigned char)c)) {
			start = false;
			continue;
		}
		if (start || !strchr("._-/", c))
			return false;	/* a component starts with a separator */
		if (c == '/')
			start = true;
		else if (i + 1 == len || n[i + 1] == '/')
			return false;	/* ... or ends with one */
	}
	return !start;
}

static bool tag_ok(const char *t)
{
	size_t len = strlen(t);

	if (!len || len > TAG_MAX_LEN || !(isalnum((unsigned char)t[0]) || t[0] == '_'))
		return false;
	for (size_t i = 1; i < len; i++)
		if (!isalnum((unsigned char)t[i]) && !strchr("._-", t[i]))
			return false;
	return true;
}

static bool is_loopback(const char *host, size_t len)
{
	const char *colon;

	if (len >= 5 && !strncmp(host, "[::1]", 5))
		return true;
	colon = memchr(host, ':', len);
	if (colon)
		len = (size_t)(colon - host);
	if (len == 9 && !strncmp(host, "localhost", 9))
		return true;
	return len >= 4 && !strncmp(host, "127.", 4);
}

static int parse_ref(const char *spec, bool insecure, struct docker_ref *r,
		     struct error **err)
{
	const char *host, *slash, *at, *colon, *path, *end;
	size_t hlen;
	char *name;
	bool hub;

	memset(r, 0, sizeof(*r));
	if (strncmp(spec, "//", 2))
		return error_set_msg(err, EINVAL, "not //HOST/NAME[:TAG]");
	host = spec + 2;
	slash = strchr(host, '/');
	if (!slash || !host_ok(host, (size_t)(slash - host)))
		return error_set_msg(err, EINVAL, "bad registry host");
	hlen = (size_t)(slash - host);
	path = slash + 1;
	/* NAME[:TAG][@DIGEST]: the digest wins over a tag */
	at = strchr(path, '@');
	end = at ? at : path + strlen(path);
	colon = memrchr(path, ':', (size_t)(end - path));
	if (colon && memchr(colon, '/', (size_t)(end - colon)))
		colon = NULL;	/* a registry-style "name:port/..." is not a tag */
	name = strndup(path, (size_t)((colon ? colon : end) - path));
	if (!name)
		return error_set(err, ENOMEM, "reference");
	hub = (hlen == 9 && !strncmp(host, "docker.io", 9)) ||
	      (hlen == 15 && !strncmp(host, "index.docker.io", 15));
	if (hub && !strchr(name, '/')) {
		char *lib;

		if (asprintf(&lib, "library/%s", name) < 0)
			lib = NULL;
		free(name);
		name = lib;
		if (!name)
			return error_set(err, ENOMEM, "reference");
	}
	r->name = name;
	if (!name_ok(name))
		return error_set_msg(err, EINVAL, "bad repository name '%.100s'", name);
	if (at) {
		const char *why = digest_problem(at + 1);

		if (why)
			return error_set_msg(err, EINVAL, "digest '%.80s': %s", at + 1, why);
		r->ref = strdup(at + 1);
		r->by_digest = true;
	} else {
		const char *tag = colon ? colon + 1 : "latest";	/* up to the end: no '@' */

		if (!tag_ok(tag))
			return error_set_msg(err, EINVAL, "bad tag '%.100s'", tag);
		r->ref = strdup(tag);
	}
	/* plain http only for a loopback registry, and only when asked to be insecure */
	if (hub)
		r->base = strdup("https://registry-1.docker.io");
	else if (asprintf(&r->base, "%s://%.*s",
			  insecure && is_loopback(host, hlen) ? "http" : "https",
			  (int)hlen, host) < 0)
		r->base = NULL;
	if (!r->ref || !r->base)
		return error_set(err, ENOMEM, "reference");
	return 0;
}

static char *manifest_url(const struct docker_ref *r, const char *ref)
{
	char *url;

	if (asprintf(&url, "%s/v2/%s/manifests/%s", r->base, r->name, ref) < 0)
		return NULL;
	return url;
}

static char *layer_url(void *ctx, const char *digest)
{
	const struct docker_ref *r = ctx;
	char *url;

	if (asprintf(&url, "%s/v2/%s/blobs/%s", r->base, r->name, digest) < 0)
		return NULL;
	return url;
}

/*
 * GET manifest REF and parse it. DIGEST (may be NULL) is checked against
 * the body; SIZE (when DIGEST is given) too; EXPECT as in doc_parse.
 * GOT: the body's digest, what names this document whatever REF was.
 */
struct doc_self {
	char digest[DIGEST_STRLEN + 1];
	uint64_t size;
	char *content_type;	/* as served, malloc'd or NULL */
};

static int get_doc(struct fetcher *f, const struct docker_ref *r,
		   const char *ref, const char *digest, const uint64_t *size,
		   const char *expect, json_t **doc, enum doc_kind *kind,
		   struct doc_self *got, struct error **err)
{
	char *url = manifest_url(r, ref), *body = NULL, *ct = NULL;
	size_t len;
	int ret = -1;

	if (!url)
		return error_set(err, ENOMEM, "manifest URL");
	if (fetcher_get(f, url, MANIFEST_MAX, &body, &len, &ct, err) < 0)
		goto out;
	if (size && len != *size) {
		error_set_msg(err, EINVAL, "%zu bytes, its descriptor says %llu", len,
			      (unsigned long long)*size);
		goto out;
	}
	if (digest && !digest_matches(digest, body, len)) {
		error_set_msg(err, EINVAL, "the manifest does not match its digest");
		goto out;
	}
	if (digest_of(body, len, got->digest) < 0) {
		error_set(err, ENOMEM, "digest");
		goto out;
	}
	got->size = len;
	ret = doc_parse(body, len, ct, expect, doc, kind, err);
	if (ret == 0) {
		free(got->content_type);
		got->content_type = ct;
		ct = NULL;
	}
out:
	if (ret < 0)
		error_wrap(err, "manifest %s", ref);
	free(url);
	free(body);
	free(ct);
	return ret;
}

static int resolve(struct fetcher *f, const struct docker_ref *r,
		   const struct platform *p, struct image_layers *out,
		   struct error **err)
{
	struct descriptor d = { 0 };
	struct doc_self got = { 0 };
	const char *mt;
	enum doc_kind kind;
	json_t *doc = NULL;
	int ret = -1;

	if (get_doc(f, r, r->ref, r->by_digest ? r->ref : NULL, NULL, NULL,
		    &doc, &kind, &got, err) < 0)
		return -1;
	for (int depth = 0; kind == DOC_INDEX; depth++) {
		if (depth == MAX_INDEX_DEPTH) {
			error_set_msg(err, ELOOP, "indexes nested more than %d deep", MAX_INDEX_DEPTH);
			goto out;
		}
		descriptor_free(&d);
		if (index_select(doc, NULL, p, &d, err) < 0) {
			error_wrap(err, "index");
			goto out;
		}
		json_decref(doc);
		doc = NULL;
		if (get_doc(f, r, d.digest, d.digest, &d.size, d.media_type,
			    &doc, &kind, &got, err) < 0)
			goto out;
	}
	if (manifest_layers(doc, layer_url, (void *)r, out, err) < 0) {
		error_wrap(err, "manifest");
		goto out;
	}
	memcpy(out->manifest_digest, got.digest, sizeof(got.digest));
	out->manifest_size = got.size;
	/* the subject of a referrer names it with the type it has */
	mt = json_string_value(json_object_get(doc, "mediaType"));
	if (!mt)
		mt = got.content_type ? got.content_type : MT_OCI_MANIFEST;
	out->manifest_media_type = strndup(mt, strcspn(mt, "; "));
	if (asprintf(&out->repo_url, "%s/v2/%s", r->base, r->name) < 0)
		out->repo_url = NULL;
	if (!out->manifest_media_type || !out->repo_url) {
		image_layers_free(out);
		error_set(err, ENOMEM, "manifest");
		goto out;
	}
	ret = 0;
out:
	free(got.content_type);
	descriptor_free(&d);
	json_decref(doc);
	return ret;
}

int image_resolve_docker(struct fetcher *f, const char *spec,
			 const char *platform, struct image_layers *out,
			 struct error **err)
{
	struct docker_ref r = { 0 };
	struct platform p;
	char *prefix = NULL;
	int ret = -1;

	memset(out, 0, sizeof(*out));
	if (platform_parse(platform, &p, err) < 0 ||
	    parse_ref(spec, fetcher_insecure(f), &r, err) < 0)
		goto out;
	if (asprintf(&prefix, "%s/v2/%s/manifests/", r.base, r.name) < 0) {
		prefix = NULL;
		error_set(err, ENOMEM, "manifest URL");
		goto out;
	}
	if (fetcher_add_header(f, prefix, MANIFEST_ACCEPT, err) < 0)
		goto out;
	ret = resolve(f, &r, &p, out, err);
out:
	if (ret < 0)
		error_wrap(err, "docker:%s", spec);
	ref_free(&r);
	free(prefix);
	return ret;
}
