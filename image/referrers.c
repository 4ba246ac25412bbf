// SPDX-License-Identifier: MIT
/*
 * The JSON of layer indexes in a registry: the artifact manifest we push
 * and the referrers index (tag schema, or the referrers API's answer)
 * that lists it. What comes from the registry is untrusted: types,
 * digests and sizes are checked, counts bounded.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "referrers.h"

void index_refs_free(struct index_refs *r)
{
	for (size_t i = 0; r->refs && i < r->count; i++)
		free(r->refs[i].span_pages);
	free(r->refs);
	r->refs = NULL;
	r->count = 0;
	memset(&r->prefetch_list, 0, sizeof(r->prefetch_list));
}

void descriptors_free(struct descriptor *d, size_t n)
{
	for (size_t i = 0; d && i < n; i++)
		descriptor_free(&d[i]);
	free(d);
}

static json_t *descriptor_json(const char *media_type, const char *digest,
			       uint64_t size)
{
	return json_pack("{s:s, s:s, s:I}", "mediaType", media_type,
			 "digest", digest, "size", (json_int_t)size);
}

static int dump(json_t *doc, char **json, size_t *len, struct error **err)
{
	if (!doc)
		return error_set(err, ENOMEM, "JSON");
	*json = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	if (!*json)
		return error_set(err, ENOMEM, "JSON");
	*len = strlen(*json);
	return 0;
}

/* DESC annotated with the layer LAYER (and KEY = VALUE) into LAYERS. */
static int append(json_t *layers, json_t *desc, const char *layer,
		  const char *key, const char *value)
{
	json_t *a = json_pack("{s:s}", ANNOTATION_LAYER, layer);

	if (!desc || !a ||
	    (key && json_object_set_new(a, key, json_string(value)) < 0) ||
	    json_object_set_new(desc, "annotations", a) < 0) {
		json_decref(desc);
		return -1;
	}
	return json_array_append_new(layers, desc);
}

/* An index's blobs: version 1 whole, or a head and its windows; a companion after its index. */
static int add_blobs(json_t *layers, const struct index_ref *b)
{
	bool v2 = b->windows.digest[0], comp = b->companion.digest[0];
	const char *type = !v2 ? MT_LAYER_INDEX :
			   comp ? MT_COMPANION_INDEX_HEAD_GZIP :
			   b->gzip ? MT_LAYER_INDEX_HEAD_GZIP : MT_LAYER_INDEX_HEAD;

	if (append(layers, descriptor_json(type, b->digest, b->size), b->layer, NULL, NULL) < 0 ||
	    (v2 && append(layers, descriptor_json(MT_LAYER_INDEX_WINDOWS, b->windows.digest,
						  b->windows.size), b->layer, NULL, NULL) < 0) ||
	    (comp && append(layers, descriptor_json(MT_COMPANION, b->companion.digest,
						    b->companion.size), b->layer,
			    ANNOTATION_UNCOMPRESSED, b->uncompressed) < 0) ||
	    (comp && b->spans.digest[0] && b->span_pages &&
	     append(layers, descriptor_json(MT_COMPANION_SPANS, b->spans.digest, b->spans.size),
		    b->layer, ANNOTATION_SPAN_PAGES, b->span_pages) < 0))
		return -1;
	return 0;
}

int referrer_manifest_build(const struct descriptor *subject,
			    const struct index_ref *blobs, size_t n,
			    const struct blob_ref *list,
			    char **json, size_t *len, struct error **err)
{
	char empty[DIGEST_STRLEN + 1];
	json_t *doc, *layers;

	if (digest_of(EMPTY_JSON, strlen(EMPTY_JSON), empty) < 0)
		return error_set(err, ENOMEM, "digest");
	layers = json_array();
	for (size_t i = 0; layers && i < n; i++)
		if (add_blobs(layers, &blobs[i]) < 0) {
			json_decref(layers);
			layers = NULL;
		}
	if (layers && list &&
	    json_array_append_new(layers, descriptor_json(MT_PREFETCH_LIST,
							 list->digest, list->size)) < 0) {
		json_decref(layers);
		layers = NULL;
	}
	/*
	 * config's media type is the artifact type: docker-registry 2.8
	 * stores the manifest as plain OCI and ignores artifactType and
	 * subject, which OCI 1.1 registries index
	 */
	doc = layers ? json_pack("{s:i, s:s, s:s, s:o, s:o, s:o}",
				 "schemaVersion", 2,
				 "mediaType", MT_OCI_MANIFEST,
				 "artifactType", ARTIFACT_TYPE_INDEX,
				 "config", descriptor_json(ARTIFACT_TYPE_INDEX, empty,
							   strlen(EMPTY_JSON)),
				 "layers", layers,
				 "subject", descriptor_json(subject->media_type,
							    subject->digest,
							    subject->size)) : NULL;
	return dump(doc, json, len, err);
}

/* A descriptor field of O: digest valid, size in 0..MAX. */
static int desc_fields(json_t *o, uint64_t max, const char **digest,
		       uint64_t *size, struct error **err)
{
	json_t *s = json_object_get(o, "size");
	const char *why;

	*digest = json_string_value(json_object_get(o, "digest"));
	if (!*digest)
		return error_set_msg(err, EINVAL, "descriptor without a digest");
	why = digest_problem(*digest);
	if (why)
		return error_set_msg(err, EINVAL, "digest '%.80s': %s", *digest, why);
	if (!json_is_integer(s) || json_integer_value(s) < 0 ||
	    (uint64_t)json_integer_value(s) > max)
		return error_set_msg(err, EINVAL, "descriptor %s: bad size", *digest);
	*size = (uint64_t)json_integer_value(s);
	return 0;
}

/* The artifact type of manifest DOC: artifactType, else config's media type. */
static const char *artifact_type(json_t *doc)
{
	const char *t = json_string_value(json_object_get(doc, "artifactType"));

	if (t)
		return t;
	return json_string_value(json_object_get(json_object_get(doc, "config"),
						 "mediaType"));
}

static int add_ref(struct index_refs *out, const char *layer,
		   const char *digest, uint64_t size,
		   const struct blob_ref *windows, bool gzip,
		   const struct blob_ref *companion, struct error **err)
{
	struct index_ref *r = reallocarray(out->refs, out->count + 1, sizeof(*r));

	if (!r)
		return error_set(err, ENOMEM, "index references");
	out->refs = r;
	r = &r[out->count++];
	memcpy(r->layer, layer, sizeof(r->layer));
	memcpy(r->digest, digest, sizeof(r->digest));
	r->size = size;
	memset(&r->windows, 0, sizeof(r->windows));
	if (windows)
		r->windows = *windows;
	r->gzip = gzip;
	memset(&r->companion, 0, sizeof(r->companion));
	memset(r->uncompressed, 0, sizeof(r->uncompressed));
	memset(&r->spans, 0, sizeof(r->spans));
	r->span_pages = NULL;
	if (companion)
		r->companion = *companion;
	return 0;
}

static const char *layer_of(json_t *e);

/* Hex digits only, a whole number of sha256s, at most COMPANION_PAGES_MAX. */
static bool pages_hex(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (!n || n % 64 || n > COMPANION_PAGES_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/*
 * The companion's span digests after the companion at LAYERS[I + 3]:
 * *SPANS and *PAGES (malloc'd); missing or malformed fails.
 */
static int spans_of(json_t *layers, size_t i, const char *layer,
		    struct blob_ref *spans, char **pages, struct error **err)
{
	json_t *e = json_array_get(layers, i + 3);
	const char *t = json_string_value(json_object_get(e, "mediaType"));
	const char *sl = e ? layer_of(e) : NULL, *digest, *hex;

	*pages = NULL;
	if (!t || strcmp(t, MT_COMPANION_SPANS) || !sl || strcmp(sl, layer))
		return error_set_msg(err, EINVAL, "layers[%zu]: a companion not followed"
				     " by its span digests", i + 2);
	hex = json_string_value(json_object_get(json_object_get(e, "annotations"),
						ANNOTATION_SPAN_PAGES));
	if (desc_fields(e, COMPANION_BLOB_MAX, &digest, &spans->size, err) < 0)
		return error_wrap(err, "layers[%zu]", i + 3);
	if (!pages_hex(hex))
		return error_set_msg(err, EINVAL, "layers[%zu]: bad %s", i + 3,
				     ANNOTATION_SPAN_PAGES);
	memcpy(spans->digest, digest, sizeof(spans->digest));
	*pages = strdup(hex);
	return *pages ? 0 : error_set(err, ENOMEM, "span pages");
}

static const char *layer_of(json_t *e)
{
	const char *layer = json_string_value(json_object_get(json_object_get(e, "annotations"),
							      ANNOTATION_LAYER));

	return layer && digest_valid(layer) ? layer : NULL;
}

/*
 * The windows blob of the version 2 head at LAYERS[I]: the next
 * descriptor, of the windows type and the same layer.
 */
static int windows_of(json_t *layers, size_t i, const char *layer,
		      struct blob_ref *w, struct error **err)
{
	json_t *e = json_array_get(layers, i + 1);
	const char *t = json_string_value(json_object_get(e, "mediaType"));
	const char *wl = e ? layer_of(e) : NULL, *digest;

	if (!t || strcmp(t, MT_LAYER_INDEX_WINDOWS) || !wl || strcmp(wl, layer))
		return error_set_msg(err, EINVAL, "layers[%zu]: an index head not followed"
				     " by its windows", i);
	if (desc_fields(e, INDEX_WINDOWS_MAX, &digest, &w->size, err) < 0)
		return error_wrap(err, "layers[%zu]", i + 1);
	memcpy(w->digest, digest, sizeof(w->digest));
	return 0;
}

/*
 * The companion after the companion index head at LAYERS[I] and its
 * windows: the descriptor after those, of the companion type and the
 * same layer.
 */
static int companion_of(json_t *layers, size_t i, const char *layer,
			struct blob_ref *c, struct error **err)
{
	json_t *e = json_array_get(layers, i + 2);
	const char *t = json_string_value(json_object_get(e, "mediaType"));
	const char *cl = e ? layer_of(e) : NULL, *digest;

	if (!t || strcmp(t, MT_COMPANION) || !cl || strcmp(cl, layer))
		return error_set_msg(err, EINVAL, "layers[%zu]: a companion index not"
				     " followed by its companion", i);
	if (desc_fields(e, COMPANION_BLOB_MAX, &digest, &c->size, err) < 0)
		return error_wrap(err, "layers[%zu]", i + 2);
	memcpy(c->digest, digest, sizeof(c->digest));
	return 0;
}

int referrer_manifest_parse(const char *buf, size_t len,
			    const char *subject, struct index_refs *out,
			    struct error **err)
{
	json_t *doc = json_loadb(buf, len, JSON_REJECT_DUPLICATES, NULL);
	json_t *layers, *e;
	const char *t, *sd, *digest, *layer;
	struct blob_ref windows, companion, spans;
	char *pages = NULL;
	uint64_t size;
	size_t i;
	bool v2, gz, comp;
	int ret = -1;

	if (!json_is_object(doc)) {
		error_set_msg(err, EINVAL, "not a JSON object");
		goto out;
	}
	t = artifact_type(doc);
	sd = json_string_value(json_object_get(json_object_get(doc, "subject"), "digest"));
	if (!t || strcmp(t, ARTIFACT_TYPE_INDEX)) {
		ret = 0;	/* someone else's artifact */
		goto out;
	}
	if (!sd || strcmp(sd, subject)) {
		error_set_msg(err, EINVAL, "subject %.80s, not %s", sd ? sd : "(none)",
			      subject);
		goto out;
	}
	layers = json_object_get(doc, "layers");
	if (!json_is_array(layers) || json_array_size(layers) > MAX_LAYERS) {
		error_set_msg(err, EINVAL, "no layers array of at most %d", MAX_LAYERS);
		goto out;
	}
	json_array_foreach(layers, i, e) {
		t = json_string_value(json_object_get(e, "mediaType"));
		if (t && !strcmp(t, MT_PREFETCH_LIST)) {
			if (desc_fields(e, PREFETCH_LIST_MAX, &digest, &size, err) < 0) {
				error_wrap(err, "layers[%zu]", i);
				goto out;
			}
			/* artifacts come newest first: the first list wins */
			if (!out->prefetch_list.digest[0]) {
				memcpy(out->prefetch_list.digest, digest,
				       sizeof(out->prefetch_list.digest));
				out->prefetch_list.size = size;
			}
			continue;
		}
		if (!t || (strcmp(t, MT_LAYER_INDEX) && strcmp(t, MT_LAYER_INDEX_HEAD) &&
			   strcmp(t, MT_LAYER_INDEX_HEAD_GZIP) &&
			   strcmp(t, MT_COMPANION_INDEX_HEAD_GZIP)))
			continue;	/* a later version may add other blobs */
		if (desc_fields(e, INDEX_BLOB_MAX, &digest, &size, err) < 0) {
			error_wrap(err, "layers[%zu]", i);
			goto out;
		}
		layer = layer_of(e);
		if (!layer) {
			error_set_msg(err, EINVAL, "layers[%zu]: no valid %s annotation",
				      i, ANNOTATION_LAYER);
			goto out;
		}
		comp = !strcmp(t, MT_COMPANION_INDEX_HEAD_GZIP);
		gz = comp || !strcmp(t, MT_LAYER_INDEX_HEAD_GZIP);
		v2 = gz || !strcmp(t, MT_LAYER_INDEX_HEAD);
		if (v2 && windows_of(layers, i, layer, &windows, err) < 0)
			goto out;
		if (comp && (companion_of(layers, i, layer, &companion, err) < 0 ||
			     spans_of(layers, i, layer, &spans, &pages, err) < 0))
			goto out;
		if (add_ref(out, layer, digest, size, v2 ? &windows : NULL, gz,
			    comp ? &companion : NULL, err) < 0)
			goto out;
		if (comp) {
			out->refs[out->count - 1].spans = spans;
			out->refs[out->count - 1].span_pages = pages;
			pages = NULL;
		}
	}
	ret = 0;
out:
	free(pages);
	json_decref(doc);
	return ret;
}

static json_t *index_new(void)
{
	return json_pack("{s:i, s:s, s:[]}", "schemaVersion", 2,
			 "mediaType", MT_OCI_INDEX, "manifests");
}

int referrers_index_add(const char *old, size_t oldlen,
			const struct descriptor *entry, char **json,
			size_t *len, struct error **err)
{
	json_t *doc, *list, *e, *d;
	size_t i;

	doc = old ? json_loadb(old, oldlen, JSON_REJECT_DUPLICATES, NULL) : index_new();
	list = json_object_get(doc, "manifests");
	if (!json_is_array(list)) {
		json_decref(doc);
		return error_set_msg(err, EINVAL, "referrers index: no manifests array");
	}
	/* replace our own entry, keep everyone else's */
	for (i = 0; i < json_array_size(list);) {
		e = json_array_get(list, i);
		if (!strcmp(json_string_value(json_object_get(e, "digest")) ?: "",
			    entry->digest))
			json_array_remove(list, i);
		else
			i++;
	}
	d = descriptor_json(entry->media_type, entry->digest, entry->size);
	if (!d || json_object_set_new(d, "artifactType",
				      json_string(ARTIFACT_TYPE_INDEX)) < 0 ||
	    json_array_append_new(list, d) < 0) {
		json_decref(doc);
		return error_set(err, ENOMEM, "referrers index");
	}
	return dump(doc, json, len, err);
}

int referrers_index_ours(const char *buf, size_t len,
			 struct descriptor **out, size_t *n,
			 struct error **err)
{
	json_t *doc = json_loadb(buf, len, JSON_REJECT_DUPLICATES, NULL);
	json_t *list = json_object_get(doc, "manifests"), *e;
	struct descriptor *d = NULL;
	const char *t, *digest;
	uint64_t size;
	size_t i, k = 0;
	int ret = -1;

	*out = NULL;
	*n = 0;
	if (!json_is_array(list)) {
		error_set_msg(err, EINVAL, "referrers index: no manifests array");
		goto out;
	}
	d = calloc(REFERRERS_MAX, sizeof(*d));
	if (!d) {
		error_set(err, ENOMEM, "referrers");
		goto out;
	}
	/* newest first: the tag schema appends */
	for (i = json_array_size(list); i-- > 0 && k < REFERRERS_MAX;) {
		e = json_array_get(list, i);
		t = json_string_value(json_object_get(e, "artifactType"));
		if (!t || strcmp(t, ARTIFACT_TYPE_INDEX))
			continue;
		if (desc_fields(e, MANIFEST_MAX, &digest, &size, err) < 0) {
			error_wrap(err, "referrers index: manifests[%zu]", i);
			goto out;
		}
		memcpy(d[k].digest, digest, sizeof(d[k].digest));
		d[k].size = size;
		d[k].media_type = strdup(MT_OCI_MANIFEST);
		if (!d[k++].media_type) {
			error_set(err, ENOMEM, "referrers");
			goto out;
		}
	}
	*out = d;
	*n = k;
	d = NULL;
	ret = 0;
out:
	descriptors_free(d, k);
	json_decref(doc);
	return ret;
}
