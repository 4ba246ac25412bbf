// SPDX-License-Identifier: MIT
/* Image documents as untrusted input (manifest.h). */
#include "manifest.h"
#include "layer_estargz.h"
#include "layer_toc.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/error.h"

#define REF_NAME "org.opencontainers.image.ref.name"
#define LIST_MAX 200	/* characters of "have: ..." lists in messages */

static const char *const layer_types[] = {
	"application/vnd.oci.image.layer.v1.tar",
	"application/vnd.oci.image.layer.v1.tar+gzip",
	"application/vnd.oci.image.layer.v1.tar+zstd",
	"application/vnd.docker.image.rootfs.diff.tar.gzip",
	"application/vnd.docker.image.rootfs.diff.tar",
};

static const char *const config_types[] = {
	"application/vnd.oci.image.config.v1+json",
	"application/vnd.docker.container.image.v1+json",
};

static bool in(const char *s, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(s, list[i]))
			return true;
	return false;
}

#define IN(s, list) in((s), (list), sizeof(list) / sizeof((list)[0]))

/* ---- platforms ---- */

static int platform_part(const char *s, size_t len, char *out,
			 struct error **err)
{
	if (!len || len >= PLATFORM_PART)
		return error_set_msg(err, EINVAL, "platform part '%.*s'", (int)len, s);
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("._-", s[i]))
			return error_set_msg(err, EINVAL, "platform part '%.*s'", (int)len, s);
	memcpy(out, s, len);
	out[len] = '\0';
	return 0;
}

static void normalize_arch(char *arch)
{
	if (!strcmp(arch, "x86_64") || !strcmp(arch, "x86-64"))
		strcpy(arch, "amd64");
	else if (!strcmp(arch, "aarch64"))
		strcpy(arch, "arm64");
}

int platform_parse(const char *s, struct platform *p, struct error **err)
{
	const char *a, *v;

	memset(p, 0, sizeof(*p));
	if (!s)
		s = "linux/amd64";
	a = strchr(s, '/');
	if (!a)
		return error_set_msg(err, EINVAL, "platform '%s': not OS/ARCH[/VARIANT]", s);
	v = strchr(a + 1, '/');
	if (platform_part(s, (size_t)(a - s), p->os, err) < 0 ||
	    platform_part(a + 1, v ? (size_t)(v - a - 1) : strlen(a + 1), p->arch, err) < 0 ||
	    (v && platform_part(v + 1, strlen(v + 1), p->variant, err) < 0))
		return error_wrap(err, "platform '%s'", s);
	normalize_arch(p->arch);
	return 0;
}

static const char *str_field(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* The variant an arch means without one (arm64 is v8). */
static const char *variant_of(const char *arch, const char *variant)
{
	if (variant && *variant)
		return variant;
	return !strcmp(arch, "arm64") ? "v8" : "";
}

/* How well entry platform PO fits P: 0 not at all, 2 exactly, 1 a variant left open. */
static int platform_score(json_t *po, const struct platform *p)
{
	const char *os = str_field(po, "os"), *arch = str_field(po, "architecture");
	const char *want_v, *have_v;
	char a[PLATFORM_PART];

	if (!os || !arch || strlen(arch) >= sizeof(a) || strcmp(os, p->os))
		return 0;
	strcpy(a, arch);
	normalize_arch(a);
	if (strcmp(a, p->arch))
		return 0;
	want_v = variant_of(p->arch, p->variant);
	have_v = variant_of(a, str_field(po, "variant"));
	if (!strcmp(want_v, have_v))
		return 2;
	return !*want_v || !*have_v ? 1 : 0;
}

static void platform_name(json_t *po, char *buf, size_t size)
{
	const char *v = str_field(po, "variant");

	snprintf(buf, size, "%.40s/%.40s%s%.20s", str_field(po, "os") ?: "?",
		 str_field(po, "architecture") ?: "?", v ? "/" : "", v ? v : "");
}

/* ---- descriptors ---- */

void descriptor_free(struct descriptor *d)
{
	free(d->media_type);
	d->media_type = NULL;
}

static int descriptor_parse(json_t *o, uint64_t max_size, struct descriptor *d,
			    struct error **err)
{
	json_t *size = json_object_get(o, "size");
	const char *mt, *digest, *why;

	if (!json_is_object(o))
		return error_set_msg(err, EINVAL, "descriptor is not an object");
	mt = str_field(o, "mediaType");
	digest = str_field(o, "digest");
	if (!mt)
		return error_set_msg(err, EINVAL, "descriptor without a mediaType string");
	if ((why = digest_problem(digest)))
		return error_set_msg(err, EINVAL, "descriptor digest '%.80s': %s",
				     digest ? digest : "", why);
	if (!json_is_integer(size) || json_integer_value(size) < 0)
		return error_set_msg(err, EINVAL, "descriptor %s: size is not a non-negative integer",
				     digest);
	if ((uint64_t)json_integer_value(size) > max_size)
		return error_set_msg(err, EFBIG, "descriptor %s: size %lld is more than %llu",
				     digest, (long long)json_integer_value(size),
				     (unsigned long long)max_size);
	d->media_type = strdup(mt);
	if (!d->media_type)
		return error_set(err, ENOMEM, "descriptor");
	memcpy(d->digest, digest, DIGEST_STRLEN + 1);
	d->size = (uint64_t)json_integer_value(size);
	return 0;
}

/* ---- documents ---- */

static bool is_index_type(const char *t)
{
	return !strcmp(t, MT_OCI_INDEX) || !strcmp(t, MT_DOCKER_LIST);
}

static bool is_manifest_type(const char *t)
{
	return !strcmp(t, MT_OCI_MANIFEST) || !strcmp(t, MT_DOCKER_MANIFEST);
}

/* The media type in a Content-Type header, if it names an image document. */
static char *image_content_type(const char *ct)
{
	size_t len;
	char *t;

	if (!ct)
		return NULL;
	len = strcspn(ct, "; \t");
	t = strndup(ct, len);
	if (t && !is_index_type(t) && !is_manifest_type(t) &&
	    !strstr(t, "vnd.docker.distribution.manifest.v1")) {
		free(t);	/* application/json and such say nothing */
		t = NULL;
	}
	return t;
}

static int doc_type(json_t *doc, const char *content_type, const char *expect,
		    char **type, struct error **err)
{
	json_t *jmt = json_object_get(doc, "mediaType");
	const char *mt = json_string_value(jmt);
	char *ct = image_content_type(content_type);

	if (jmt && !mt) {
		free(ct);
		return error_set_msg(err, EINVAL, "mediaType is not a string");
	}
	if (mt && ct && strcmp(mt, ct)) {
		error_set_msg(err, EINVAL, "document says it is %.100s, the server says %.100s",
			      mt, ct);
		free(ct);
		return -1;
	}
	if (mt) {
		free(ct);
		ct = strdup(mt);
	} else if (!ct) {
		if (json_object_get(doc, "manifests"))
			ct = strdup(expect && is_index_type(expect) ? expect : MT_OCI_INDEX);
		else if (json_object_get(doc, "layers") || json_object_get(doc, "config"))
			ct = strdup(expect && is_manifest_type(expect) ? expect : MT_OCI_MANIFEST);
		else
			return error_set_msg(err, EINVAL, "neither a manifest nor an index");
	}
	if (!ct)
		return error_set(err, ENOMEM, "document type");
	/* OCI and Docker flavours of the same kind are interchangeable */
	if (expect && !(is_index_type(expect) && is_index_type(ct)) &&
	    !(is_manifest_type(expect) && is_manifest_type(ct)) && strcmp(expect, ct)) {
		error_set_msg(err, EINVAL, "document is %.100s, its descriptor says %.100s",
			      ct, expect);
		free(ct);
		return -1;
	}
	*type = ct;
	return 0;
}

int doc_parse(const char *buf, size_t len, const char *content_type,
	      const char *expect, json_t **doc, enum doc_kind *kind,
	      struct error **err)
{
	json_error_t jerr;
	json_t *d, *sv;
	char *type = NULL;

	if (len > MANIFEST_MAX)
		return error_set_msg(err, EFBIG, "document of %zu bytes, more than %u", len,
				     MANIFEST_MAX);
	d = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!d)
		return error_set_msg(err, EINVAL, "not JSON: %s (line %d)", jerr.text, jerr.line);
	if (!json_is_object(d)) {
		error_set_msg(err, EINVAL, "not a JSON object");
		goto fail;
	}
	sv = json_object_get(d, "schemaVersion");
	if (json_is_integer(sv) && json_integer_value(sv) == 1) {
		error_set_msg(err, ENOTSUP, "a schema 1 manifest (unsupported, deprecated by Docker)");
		goto fail;
	}
	if (!json_is_integer(sv) || json_integer_value(sv) != 2) {
		error_set_msg(err, EINVAL, "schemaVersion is not 2");
		goto fail;
	}
	if (doc_type(d, content_type, expect, &type, err) < 0)
		goto fail;
	if (is_index_type(type)) {
		*kind = DOC_INDEX;
		if (!json_is_array(json_object_get(d, "manifests"))) {
			error_set_msg(err, EINVAL, "index without a manifests array");
			goto fail;
		}
	} else if (is_manifest_type(type)) {
		*kind = DOC_MANIFEST;
		if (!json_is_array(json_object_get(d, "layers")) ||
		    !json_is_object(json_object_get(d, "config"))) {
			error_set_msg(err, EINVAL, "manifest without a layers array and a config object");
			goto fail;
		}
	} else if (strstr(type, "vnd.docker.distribution.manifest.v1")) {
		error_set_msg(err, ENOTSUP, "a schema 1 manifest (unsupported, deprecated by Docker)");
		goto fail;
	} else {
		error_set_msg(err, ENOTSUP, "not an image manifest or index: %.100s", type);
		goto fail;
	}
	free(type);
	*doc = d;
	return 0;
fail:
	free(type);
	json_decref(d);
	return -1;
}

/* ---- index selection ---- */

static const char *ref_name(json_t *entry)
{
	return str_field(json_object_get(entry, "annotations"), REF_NAME);
}

/* "a, b, c" of the tags (or platforms) in an index, for messages. */
static void list_entries(json_t *list, bool platforms, char *buf, size_t size)
{
	size_t i, used = 0;
	json_t *e;

	buf[0] = '\0';
	json_array_foreach(list, i, e) {
		char one[128];
		int n;

		if (platforms) {
			if (!json_is_object(json_object_get(e, "platform")))
				continue;
			platform_name(json_object_get(e, "platform"), one, sizeof(one));
		} else {
			if (!ref_name(e))
				continue;
			snprintf(one, sizeof(one), "%.100s", ref_name(e));
		}
		n = snprintf(buf + used, size - used, "%s%s", used ? ", " : "", one);
		if (n < 0 || (size_t)n >= size - used) {
			buf[used] = '\0';
			break;
		}
		used += (size_t)n;
	}
	if (!used)
		snprintf(buf, size, "none");
}

static size_t count_tagged(json_t *list, const char *tag)
{
	size_t i, n = 0;
	json_t *e;

	json_array_foreach(list, i, e) {
		const char *name = ref_name(e);

		if (name && !strcmp(name, tag))
			n++;
	}
	return n;
}

int index_select(json_t *doc, const char *tag, const struct platform *p,
		 struct descriptor *out, struct error **err)
{
	json_t *list = json_object_get(doc, "manifests"), *e, *best = NULL;
	const char *filter = tag;
	size_t i, candidates = 0;
	int best_score = 0;
	char have[LIST_MAX];

	if (!json_is_array(list))
		return error_set_msg(err, EINVAL, "index without a manifests array");
	if (!json_array_size(list))
		return error_set_msg(err, ENOENT, "the index lists no manifests");
	if (tag && !count_tagged(list, tag)) {
		list_entries(list, false, have, sizeof(have));
		return error_set_msg(err, ENOENT, "no manifest tagged '%.100s' (tags: %s)",
				     tag, have);
	}
	if (!tag && count_tagged(list, "latest"))
		filter = "latest";
	json_array_foreach(list, i, e) {
		json_t *po = json_object_get(e, "platform");
		const char *name = ref_name(e);
		int score;

		if (!json_is_object(e))
			return error_set_msg(err, EINVAL, "manifests[%zu] is not an object", i);
		if (filter && (!name || strcmp(name, filter)))
			continue;
		candidates++;
		if (po && !json_is_object(po))
			return error_set_msg(err, EINVAL, "manifests[%zu]: platform is not an object", i);
		score = po ? platform_score(po, p) : 0;
		if (!best || score > best_score) {
			best = e;
			best_score = score;
		}
	}
	if (candidates == 1 && !json_object_get(best, "platform"))
		best_score = 1;	/* the only one, and it says nothing against us */
	if (!best_score) {
		list_entries(list, true, have, sizeof(have));
		if (candidates > 1 && !strcmp(have, "none"))
			return error_set_msg(err, ENOENT, "%zu manifests and none names a platform: give a tag",
					     candidates);
		return error_set_msg(err, ENOENT, "no manifest for %s/%s%s%s (platforms: %s)",
				     p->os, p->arch, *p->variant ? "/" : "", p->variant, have);
	}
	if (descriptor_parse(best, MANIFEST_MAX, out, err) < 0)
		return error_wrap(err, "index entry");
	return 0;
}

/* ---- manifests ---- */

static int check_layer_type(const char *mt, struct error **err)
{
	if (IN(mt, layer_types))
		return 0;
	if (strstr(mt, "+encrypted"))
		return error_set_msg(err, ENOTSUP, "an encrypted layer (%.100s)", mt);
	if (strstr(mt, "nondistributable") || strstr(mt, "foreign"))
		return error_set_msg(err, ENOTSUP, "a foreign layer, not stored in the registry (%.100s)",
				     mt);
	return error_set_msg(err, ENOTSUP, "unsupported layer media type %.100s", mt);
}

static void layers_free(struct image_layer *l, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(l[i].url);
		free(l[i].digest);
		free(l[i].media_type);
		free(l[i].toc_position);
		free(l[i].toc_checksum);
		free(l[i].estargz_toc_digest);
	}
	free(l);
}

/* A string annotation of descriptor D, copied; *out NULL when there is none. */
static int annotation(json_t *d, const char *key, char **out)
{
	const char *v = json_string_value(json_object_get(json_object_get(d, "annotations"), key));

	*out = NULL;
	if (!v || strlen(v) > 200)
		return 0;
	*out = strdup(v);
	return *out ? 0 : -1;
}

int manifest_layers(json_t *doc, layer_url_fn url_of, void *ctx,
		    struct image_layers *out, struct error **err)
{
	json_t *layers = json_object_get(doc, "layers"), *e;
	struct descriptor config = { 0 };
	struct image_layer *l;
	size_t i, n;

	if (descriptor_parse(json_object_get(doc, "config"), MANIFEST_MAX, &config, err) < 0)
		return error_wrap(err, "config");
	if (!IN(config.media_type, config_types)) {
		error_set_msg(err, ENOTSUP, "not a container image: config media type %.100s",
			      config.media_type);
		descriptor_free(&config);
		return -1;
	}
	descriptor_free(&config);
	n = json_array_size(layers);
	if (n > MAX_LAYERS)
		return error_set_msg(err, E2BIG, "%zu layers, more than %d", n, MAX_LAYERS);
	l = calloc(n ? n : 1, sizeof(*l));
	if (!l)
		return error_set(err, ENOMEM, "layers");
	json_array_foreach(layers, i, e) {
		struct descriptor d = { 0 };

		if (descriptor_parse(e, LAYER_SIZE_MAX, &d, err) < 0 ||
		    check_layer_type(d.media_type, err) < 0) {
			descriptor_free(&d);
			error_wrap(err, "layer %zu", i);
			goto fail;
		}
		l[i].media_type = d.media_type;
		l[i].digest = strdup(d.digest);
		l[i].size = d.size;
		l[i].url = l[i].digest ? url_of(ctx, d.digest) : NULL;
		if (annotation(e, TOC_ANNOTATION_POSITION, &l[i].toc_position) < 0 ||
		    annotation(e, TOC_ANNOTATION_CHECKSUM, &l[i].toc_checksum) < 0 ||
		    annotation(e, ESTARGZ_ANNOTATION_TOC_DIGEST, &l[i].estargz_toc_digest) < 0 ||
		    !l[i].url) {
			error_set(err, ENOMEM, "layer %zu", i);
			goto fail;
		}
	}
	out->config_digest = strdup(config.digest);
	if (!out->config_digest) {
		error_set(err, ENOMEM, "config");
		goto fail;
	}
	out->layers = l;
	out->count = n;
	return 0;
fail:
	layers_free(l, n);
	return -1;
}

void image_layers_free(struct image_layers *l)
{
	layers_free(l->layers, l->count);
	free(l->config_digest);
	free(l->manifest_media_type);
	free(l->repo_url);
	l->layers = NULL;
	l->count = 0;
	l->config_digest = NULL;
	l->manifest_media_type = NULL;
	l->repo_url = NULL;
	l->manifest_size = 0;
	l->manifest_digest[0] = '\0';
}
