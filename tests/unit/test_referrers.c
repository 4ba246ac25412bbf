// SPDX-License-Identifier: MIT
/*
 * The JSON of layer indexes in a registry (image/referrers.c): the
 * artifact manifest built and read back, what a parse refuses or passes
 * over, and the referrers index's read-modify-write.
 */
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "../../image/digest.h"
#include "../../image/referrers.h"

#define D(c) "sha256:" c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c \
	c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c
#define SUBJECT D("5")
#define LAYER1 D("1")
#define LAYER2 D("2")
#define BLOB1 D("a")
#define BLOB2 D("b")
#define PAGES "abababababababababababababababababababababababababababababababab"

static const struct descriptor subject = {
	.media_type = (char *)MT_OCI_MANIFEST, .digest = SUBJECT, .size = 1234,
};

static char *build(void)
{
	struct index_ref refs[2] = {
		{ LAYER1, BLOB1, 100, { "", 0 }, false, { "", 0 }, "", { "", 0 }, NULL },
		{ LAYER2, BLOB2, 200, { "", 0 }, false, { "", 0 }, "", { "", 0 }, NULL },
	};
	struct error *err = NULL;
	char *json;
	size_t len;

	assert_int_equal(referrer_manifest_build(&subject, refs, 2, NULL, &json, &len, &err), 0);
	assert_int_equal(strlen(json), len);
	return json;
}

static void test_manifest_fields(void **state)
{
	char *json = build(), empty[DIGEST_STRLEN + 1];
	json_t *doc = json_loads(json, 0, NULL), *l;

	(void)state;
	assert_non_null(doc);
	assert_int_equal(digest_of("{}", 2, empty), 0);
	assert_int_equal(json_integer_value(json_object_get(doc, "schemaVersion")), 2);
	assert_string_equal(json_string_value(json_object_get(doc, "mediaType")),
			    "application/vnd.oci.image.manifest.v1+json");
	assert_string_equal(json_string_value(json_object_get(doc, "artifactType")),
			    "application/vnd.ovlmig.index.v1");
	/* what docker-registry 2.8 keeps: config typed as the artifact, the empty blob */
	l = json_object_get(doc, "config");
	assert_string_equal(json_string_value(json_object_get(l, "mediaType")),
			    "application/vnd.ovlmig.index.v1");
	assert_string_equal(json_string_value(json_object_get(l, "digest")), empty);
	assert_int_equal(json_integer_value(json_object_get(l, "size")), 2);
	l = json_object_get(doc, "subject");
	assert_string_equal(json_string_value(json_object_get(l, "digest")), SUBJECT);
	assert_int_equal(json_integer_value(json_object_get(l, "size")), 1234);
	assert_string_equal(json_string_value(json_object_get(l, "mediaType")), MT_OCI_MANIFEST);
	l = json_array_get(json_object_get(doc, "layers"), 1);
	assert_string_equal(json_string_value(json_object_get(l, "mediaType")),
			    "application/vnd.ovlmig.layer.index.v1");
	assert_string_equal(json_string_value(json_object_get(l, "digest")), BLOB2);
	assert_int_equal(json_integer_value(json_object_get(l, "size")), 200);
	assert_string_equal(json_string_value(json_object_get(json_object_get(l, "annotations"),
							      "org.ovlmig.layer.digest")), LAYER2);
	json_decref(doc);
	free(json);
}

static void test_manifest_round_trip(void **state)
{
	struct index_refs refs = { 0 };
	struct error *err = NULL;
	char *json = build();

	(void)state;
	assert_int_equal(referrer_manifest_parse(json, strlen(json), SUBJECT, &refs, &err), 0);
	assert_int_equal(refs.count, 2);
	assert_string_equal(refs.refs[0].layer, LAYER1);
	assert_string_equal(refs.refs[0].digest, BLOB1);
	assert_int_equal(refs.refs[0].size, 100);
	assert_string_equal(refs.refs[1].layer, LAYER2);
	assert_string_equal(refs.refs[1].digest, BLOB2);
	assert_int_equal(refs.refs[1].size, 200);
	index_refs_free(&refs);
	/* bound to its subject: another image's artifact is refused */
	assert_int_equal(referrer_manifest_parse(json, strlen(json), LAYER1, &refs, &err), -1);
	assert_non_null(strstr(err->msg, "subject"));
	assert_int_equal(refs.count, 0);
	error_free(&err);
	free(json);
	index_refs_free(&refs);
}

/*
 * Version 2: a head pushed as one gzip member is listed under the +gzip
 * media type, followed by its windows, and read back as gzip'd; a plain
 * head (pushed before) is read back as plain.
 */
static void test_manifest_v2_gzip_head(void **state)
{
	struct index_ref in[2] = {
		{ LAYER1, BLOB1, 100, { D("c"), 300 }, true, { "", 0 }, "", { "", 0 }, NULL },
		{ LAYER2, BLOB2, 200, { D("d"), 400 }, false, { "", 0 }, "", { "", 0 }, NULL },
	};
	struct index_refs refs = { 0 };
	struct error *err = NULL;
	json_t *doc, *layers;
	char *json;
	size_t len;

	(void)state;
	assert_int_equal(referrer_manifest_build(&subject, in, 2, NULL, &json, &len, &err), 0);
	doc = json_loads(json, 0, NULL);
	layers = json_object_get(doc, "layers");
	assert_int_equal(json_array_size(layers), 4);
	assert_string_equal(json_string_value(json_object_get(json_array_get(layers, 0), "mediaType")),
			    "application/vnd.ovlmig.layer.index.v2.head+gzip");
	assert_string_equal(json_string_value(json_object_get(json_array_get(layers, 1), "mediaType")),
			    "application/vnd.ovlmig.layer.index.v2.windows");
	assert_string_equal(json_string_value(json_object_get(json_array_get(layers, 2), "mediaType")),
			    "application/vnd.ovlmig.layer.index.v2.head");
	json_decref(doc);
	assert_int_equal(referrer_manifest_parse(json, len, SUBJECT, &refs, &err), 0);
	assert_int_equal(refs.count, 2);
	assert_true(refs.refs[0].gzip);
	assert_string_equal(refs.refs[0].digest, BLOB1);
	assert_string_equal(refs.refs[0].windows.digest, D("c"));
	assert_int_equal(refs.refs[0].windows.size, 300);
	assert_false(refs.refs[1].gzip);
	assert_string_equal(refs.refs[1].windows.digest, D("d"));
	index_refs_free(&refs);
	free(json);
}

static int parse(const char *json, struct index_refs *refs, struct error **err)
{
	return referrer_manifest_parse(json, strlen(json), SUBJECT, refs, err);
}

#define HEAD "{\"artifactType\":\"application/vnd.ovlmig.index.v1\",\"subject\":{\"digest\":\"" SUBJECT "\"},"

static void test_manifest_hostile(void **state)
{
	static const struct {
		const char *json, *why;
	} bad[] = {
		{ "[]", "not a JSON object" },
		{ HEAD "\"layers\":{}}", "layers" },
		{ HEAD "\"layers\":[{\"mediaType\":\"application/vnd.ovlmig.layer.index.v1\",\"digest\":\"sha256:12\",\"size\":1,"
		  "\"annotations\":{\"org.ovlmig.layer.digest\":\"" LAYER1 "\"}}]}", "digest" },
		{ HEAD "\"layers\":[{\"mediaType\":\"application/vnd.ovlmig.layer.index.v1\",\"digest\":\"" BLOB1 "\",\"size\":-1,"
		  "\"annotations\":{\"org.ovlmig.layer.digest\":\"" LAYER1 "\"}}]}", "size" },
		{ HEAD "\"layers\":[{\"mediaType\":\"application/vnd.ovlmig.layer.index.v1\",\"digest\":\"" BLOB1 "\",\"size\":1e3,"
		  "\"annotations\":{\"org.ovlmig.layer.digest\":\"" LAYER1 "\"}}]}", "size" },
		{ HEAD "\"layers\":[{\"mediaType\":\"application/vnd.ovlmig.layer.index.v1\",\"digest\":\"" BLOB1 "\",\"size\":1}]}",
		  "annotation" },
		{ HEAD "\"layers\":[{\"mediaType\":\"application/vnd.ovlmig.layer.index.v1\",\"digest\":\"" BLOB1 "\",\"size\":1,"
		  "\"annotations\":{\"org.ovlmig.layer.digest\":\"sha256:../x\"}}]}", "annotation" },
		{ "{\"artifactType\":\"application/vnd.ovlmig.index.v1\",\"layers\":[]}", "subject" },
		{ HEAD "\"layers\":[], \"layers\":[]}", "JSON" },
	};
	struct index_refs refs = { 0 };
	struct error *err = NULL;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(parse(bad[i].json, &refs, &err), -1);
		if (!strstr(err->msg, bad[i].why))
			fail_msg("case %zu: '%s' does not say %s", i, err->msg, bad[i].why);
		error_free(&err);
		assert_int_equal(refs.count, 0);
	}
	/* someone else's artifact, or blobs of types we do not know: nothing, no error */
	assert_int_equal(parse("{\"artifactType\":\"application/spdx+json\",\"layers\":[1]}",
			       &refs, &err), 0);
	assert_int_equal(parse("{\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\"}}",
			       &refs, &err), 0);
	assert_int_equal(parse(HEAD "\"layers\":[{\"mediaType\":\"text/plain\",\"digest\":\"x\"}]}",
			       &refs, &err), 0);
	assert_int_equal(refs.count, 0);
	/* 2.8's way of saying the artifact type: config's media type */
	assert_int_equal(parse("{\"config\":{\"mediaType\":\"application/vnd.ovlmig.index.v1\"},"
			       "\"subject\":{\"digest\":\"" SUBJECT "\"},"
			       "\"layers\":[{\"mediaType\":\"application/vnd.ovlmig.layer.index.v1\",\"digest\":\""
			       BLOB1 "\",\"size\":7,\"annotations\":{\"org.ovlmig.layer.digest\":\"" LAYER2 "\"}}]}",
			       &refs, &err), 0);
	assert_int_equal(refs.count, 1);
	assert_string_equal(refs.refs[0].layer, LAYER2);
	index_refs_free(&refs);
}

static void test_index_add(void **state)
{
	const struct descriptor ours = {
		.media_type = (char *)MT_OCI_MANIFEST, .digest = BLOB1, .size = 500,
	};
	const char *old = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\","
			  "\"manifests\":[{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
			  "\"digest\":\"" BLOB2 "\",\"size\":9,\"artifactType\":\"application/spdx+json\"},"
			  "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"" BLOB1
			  "\",\"size\":400,\"artifactType\":\"application/vnd.ovlmig.index.v1\"}]}";
	struct descriptor *d;
	struct error *err = NULL;
	char *json, *again;
	size_t len, len2, n;
	json_t *doc, *m;

	(void)state;
	/* none yet */
	assert_int_equal(referrers_index_add(NULL, 0, &ours, &json, &len, &err), 0);
	doc = json_loads(json, 0, NULL);
	assert_string_equal(json_string_value(json_object_get(doc, "mediaType")), MT_OCI_INDEX);
	assert_int_equal(json_array_size(json_object_get(doc, "manifests")), 1);
	json_decref(doc);
	/* adding it again changes nothing */
	assert_int_equal(referrers_index_add(json, len, &ours, &again, &len2, &err), 0);
	assert_int_equal(len, len2);
	assert_memory_equal(json, again, len);
	free(again);
	free(json);
	/* the other referrer kept, our old entry of that digest replaced */
	assert_int_equal(referrers_index_add(old, strlen(old), &ours, &json, &len, &err), 0);
	doc = json_loads(json, 0, NULL);
	m = json_object_get(doc, "manifests");
	assert_int_equal(json_array_size(m), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(m, 0), "digest")), BLOB2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(m, 0), "artifactType")),
			    "application/spdx+json");
	assert_string_equal(json_string_value(json_object_get(json_array_get(m, 1), "digest")), BLOB1);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(m, 1), "size")), 500);
	json_decref(doc);
	/* and read back: only ours */
	assert_int_equal(referrers_index_ours(json, len, &d, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(d[0].digest, BLOB1);
	assert_int_equal(d[0].size, 500);
	descriptors_free(d, n);
	free(json);
	/* a tag that is not an index */
	assert_int_equal(referrers_index_add("{}", 2, &ours, &json, &len, &err), -1);
	assert_non_null(strstr(err->msg, "manifests"));
	error_free(&err);
}

static void test_index_ours_newest_first(void **state)
{
	json_t *doc = json_pack("{s:i, s:[]}", "schemaVersion", 2, "manifests");
	struct descriptor *d;
	struct error *err = NULL;
	char digest[DIGEST_STRLEN + 1], *json;
	size_t n;

	(void)state;
	/* more than REFERRERS_MAX of ours: the last listed, newest first */
	for (int i = 0; i < 2 * REFERRERS_MAX + 10; i++) {
		snprintf(digest, sizeof(digest), "sha256:%064x", i);
		json_array_append_new(json_object_get(doc, "manifests"),
				      json_pack("{s:s, s:s, s:i, s:s}", "mediaType", MT_OCI_MANIFEST,
						"digest", digest, "size", 10 + i,
						"artifactType", i % 2 ? ARTIFACT_TYPE_INDEX : "x/y"));
	}
	json = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	assert_int_equal(referrers_index_ours(json, strlen(json), &d, &n, &err), 0);
	assert_int_equal(n, REFERRERS_MAX);
	snprintf(digest, sizeof(digest), "sha256:%064x", 2 * REFERRERS_MAX + 9);
	assert_string_equal(d[0].digest, digest);
	assert_int_equal(d[0].size, 10 + 2 * REFERRERS_MAX + 9);
	snprintf(digest, sizeof(digest), "sha256:%064x", 11);
	assert_string_equal(d[n - 1].digest, digest);
	descriptors_free(d, n);
	free(json);
	/* a bad entry of ours fails the whole list */
	json = "{\"manifests\":[{\"digest\":\"sha256:zz\",\"size\":1,\"artifactType\":\"application/vnd.ovlmig.index.v1\"}]}";
	assert_int_equal(referrers_index_ours(json, strlen(json), &d, &n, &err), -1);
	assert_non_null(strstr(err->msg, "manifests[0]"));
	error_free(&err);
}

/* A list blob rides along: read back; the first (newest) artifact's wins; a bad size fails. */
static void test_manifest_prefetch_list(void **state)
{
	struct index_ref refs[1] = { { LAYER1, BLOB1, 100, { "", 0 }, false, { "", 0 }, "", { "", 0 }, NULL } };
	struct blob_ref list = { BLOB2, 42 }, other = { D("c"), 7 }, big = { D("d"), 0 };
	struct index_refs out = { 0 };
	struct error *err = NULL;
	char *json, *json2;
	size_t len, len2;

	(void)state;
	assert_int_equal(referrer_manifest_build(&subject, refs, 1, &list, &json, &len, &err), 0);
	assert_int_equal(referrer_manifest_build(&subject, refs, 1, &other, &json2, &len2, &err), 0);
	assert_int_equal(referrer_manifest_parse(json, len, SUBJECT, &out, &err), 0);
	assert_int_equal(out.count, 1);	/* the list is no layer index */
	assert_string_equal(out.prefetch_list.digest, BLOB2);
	assert_int_equal(out.prefetch_list.size, 42);
	assert_int_equal(referrer_manifest_parse(json2, len2, SUBJECT, &out, &err), 0);
	assert_string_equal(out.prefetch_list.digest, BLOB2);
	index_refs_free(&out);
	assert_int_equal(out.prefetch_list.digest[0], 0);
	/* a list larger than PREFETCH_LIST_MAX: the artifact is refused */
	free(json2);
	big.size = PREFETCH_LIST_MAX + 1ull;
	assert_int_equal(referrer_manifest_build(&subject, refs, 1, &big, &json2, &len2, &err), 0);
	assert_int_equal(referrer_manifest_parse(json2, len2, SUBJECT, &out, &err), -1);
	error_free(&err);
	index_refs_free(&out);
	free(json);
	free(json2);
}

/*
 * An artifact of the list alone (an image of layers with their own TOC,
 * or index --push --list-only): one descriptor, the list; read back as a
 * list and no layer index.
 */
static void test_manifest_list_alone(void **state)
{
	struct blob_ref list = { BLOB2, 42 };
	struct index_refs out = { 0 };
	struct error *err = NULL;
	json_t *doc, *layers;
	char *json;
	size_t len;

	(void)state;
	assert_int_equal(referrer_manifest_build(&subject, NULL, 0, &list, &json, &len, &err), 0);
	doc = json_loadb(json, len, 0, NULL);
	assert_non_null(doc);
	layers = json_object_get(doc, "layers");
	assert_int_equal(json_array_size(layers), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(layers, 0), "mediaType")),
			    MT_PREFETCH_LIST);
	json_decref(doc);
	assert_int_equal(referrer_manifest_parse(json, len, SUBJECT, &out, &err), 0);
	assert_int_equal(out.count, 0);
	assert_string_equal(out.prefetch_list.digest, BLOB2);
	assert_int_equal(out.prefetch_list.size, 42);
	index_refs_free(&out);
	free(json);
}

/*
 * A companion: its index head (+gzip, the companion type), the windows,
 * then the companion blob with the tar's digest; read back as one ref
 * that names the companion. A companion head without its companion after
 * the windows is refused; an older reader's types are still parsed.
 */
static void test_manifest_companion(void **state)
{
	struct index_ref in[2] = {
		{ LAYER1, BLOB1, 100, { D("c"), 300 }, true, { "", 0 }, "", { "", 0 }, NULL },
		{ LAYER1, BLOB2, 200, { D("d"), 0 }, true, { D("e"), 5000 }, D("f"), { D("9"), 64 }, (char *)PAGES },
	};
	struct index_refs refs = { 0 };
	struct error *err = NULL;
	json_t *doc, *layers, *c;
	char *json, *bad;
	size_t len;

	(void)state;
	assert_int_equal(referrer_manifest_build(&subject, in, 2, NULL, &json, &len, &err), 0);
	doc = json_loads(json, 0, NULL);
	layers = json_object_get(doc, "layers");
	assert_int_equal(json_array_size(layers), 6);
	assert_string_equal(json_string_value(json_object_get(json_array_get(layers, 2), "mediaType")),
			    "application/vnd.ovlmig.companion.index.v2.head+gzip");
	assert_string_equal(json_string_value(json_object_get(json_array_get(layers, 3), "mediaType")),
			    "application/vnd.ovlmig.layer.index.v2.windows");
	c = json_array_get(layers, 4);
	assert_string_equal(json_string_value(json_object_get(c, "mediaType")),
			    "application/vnd.ovlmig.layer.companion.v1.tar+zstd");
	assert_string_equal(json_string_value(json_object_get(c, "digest")), D("e"));
	assert_int_equal(json_integer_value(json_object_get(c, "size")), 5000);
	assert_string_equal(json_string_value(json_object_get(json_object_get(c, "annotations"),
							      "org.ovlmig.layer.digest")), LAYER1);
	assert_string_equal(json_string_value(json_object_get(json_object_get(c, "annotations"),
							      "org.ovlmig.companion.uncompressed-digest")), D("f"));
	c = json_array_get(layers, 5);
	assert_string_equal(json_string_value(json_object_get(c, "mediaType")),
			    "application/vnd.ovlmig.companion.spans.v1");
	assert_string_equal(json_string_value(json_object_get(json_object_get(c, "annotations"),
							      "org.ovlmig.companion.span-pages")), PAGES);
	assert_int_equal(referrer_manifest_parse(json, len, SUBJECT, &refs, &err), 0);
	assert_int_equal(refs.count, 2);
	assert_string_equal(refs.refs[0].companion.digest, "");
	assert_null(refs.refs[0].span_pages);
	assert_string_equal(refs.refs[1].spans.digest, D("9"));
	assert_int_equal(refs.refs[1].spans.size, 64);
	assert_string_equal(refs.refs[1].span_pages, PAGES);
	assert_string_equal(refs.refs[1].layer, LAYER1);
	assert_string_equal(refs.refs[1].digest, BLOB2);
	assert_string_equal(refs.refs[1].companion.digest, D("e"));
	assert_int_equal(refs.refs[1].companion.size, 5000);
	assert_true(refs.refs[1].gzip);
	index_refs_free(&refs);
	/* span pages that are not whole sha256s in hex: refused */
	json_object_set_new(json_object_get(c, "annotations"), "org.ovlmig.companion.span-pages",
			    json_string("abc"));
	bad = json_dumps(doc, JSON_COMPACT);
	assert_int_equal(referrer_manifest_parse(bad, strlen(bad), SUBJECT, &refs, &err), -1);
	assert_non_null(strstr(err->msg, "span-pages"));
	error_free(&err);
	index_refs_free(&refs);
	free(bad);
	/* the span digests dropped: the companion is refused */
	json_array_remove(layers, 5);
	bad = json_dumps(doc, JSON_COMPACT);
	assert_int_equal(referrer_manifest_parse(bad, strlen(bad), SUBJECT, &refs, &err), -1);
	assert_non_null(strstr(err->msg, "not followed by its span digests"));
	error_free(&err);
	index_refs_free(&refs);
	free(bad);
	/* the companion dropped: its head is refused */
	json_array_remove(layers, 4);
	bad = json_dumps(doc, JSON_COMPACT);
	assert_int_equal(referrer_manifest_parse(bad, strlen(bad), SUBJECT, &refs, &err), -1);
	assert_non_null(strstr(err->msg, "not followed by its companion"));
	error_free(&err);
	index_refs_free(&refs);
	free(bad);
	json_decref(doc);
	free(json);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_manifest_fields),
		cmocka_unit_test(test_manifest_round_trip),
		cmocka_unit_test(test_manifest_v2_gzip_head),
		cmocka_unit_test(test_manifest_hostile),
		cmocka_unit_test(test_index_add),
		cmocka_unit_test(test_manifest_prefetch_list),
		cmocka_unit_test(test_manifest_list_alone),
		cmocka_unit_test(test_index_ours_newest_first),
		cmocka_unit_test(test_manifest_companion),
	};

	return cmocka_run_group_tests_name("referrers", tests, NULL, NULL);
}
