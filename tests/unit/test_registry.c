// SPDX-License-Identifier: MIT
/*
 * Image references: OCI layouts built here (real sha256s, an index with
 * two platforms), hostile documents, reference syntax, and the
 * WWW-Authenticate parser.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "../../common/fsutil.h"
#include "../../common/util.h"
#include "../../image/digest.h"
#include "../../image/fetch_auth.h"
#include "../../image/manifest.h"
#include "../../image/registry.h"

#define GZ "application/vnd.oci.image.layer.v1.tar+gzip"
#define ZST "application/vnd.oci.image.layer.v1.tar+zstd"
#define CFG "application/vnd.oci.image.config.v1+json"

struct fix {
	char dir[64];
	char real[PATH_MAX];
	char layer[3][DIGEST_STRLEN + 1];
	size_t layer_size[3];
	char config[DIGEST_STRLEN + 1];
	size_t config_size;
	char amd64[DIGEST_STRLEN + 1], arm64[DIGEST_STRLEN + 1];
	char index[DIGEST_STRLEN + 1];
	size_t index_size, amd64_size, arm64_size;
};

static void write_file(const char *dir, const char *name, const void *buf,
		       size_t len)
{
	char *path = path_join(dir, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write_all(fd, buf, len), 0);
	close(fd);
	free(path);
}

/* Store BUF as a blob; its digest into DIGEST. */
static void put_blob(struct fix *x, const void *buf, size_t len,
		     char digest[DIGEST_STRLEN + 1])
{
	char name[128];

	assert_int_equal(digest_of(buf, len, digest), 0);
	snprintf(name, sizeof(name), "blobs/sha256/%s", digest + 7);
	write_file(x->dir, name, buf, len);
}

/* Store JSON J (taken) as a blob. */
static size_t put_json(struct fix *x, json_t *j, char digest[DIGEST_STRLEN + 1])
{
	char *s = json_dumps(j, JSON_COMPACT);
	size_t len = strlen(s);

	put_blob(x, s, len, digest);
	free(s);
	json_decref(j);
	return len;
}

static void put_index_json(struct fix *x, json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT);

	write_file(x->dir, "index.json", s, strlen(s));
	free(s);
	json_decref(j);
}

static json_t *desc(const char *mt, const char *digest, json_int_t size)
{
	return json_pack("{s:s, s:s, s:I}", "mediaType", mt, "digest", digest,
			 "size", size);
}

static json_t *manifest(struct fix *x, json_t *layers)
{
	return json_pack("{s:i, s:s, s:o, s:o}", "schemaVersion", 2, "mediaType",
			 MT_OCI_MANIFEST, "config", desc(CFG, x->config, (json_int_t)x->config_size),
			 "layers", layers);
}

static json_t *tagged(json_t *d, const char *tag)
{
	json_object_set_new(d, "annotations",
			    json_pack("{s:s}", "org.opencontainers.image.ref.name", tag));
	return d;
}

static void write_index_json(struct fix *x)
{
	put_index_json(x, json_pack("{s:i, s:[o, o]}", "schemaVersion", 2, "manifests",
				    tagged(desc(MT_OCI_INDEX, x->index, (json_int_t)x->index_size), "v1"),
				    tagged(desc(MT_OCI_MANIFEST, x->arm64, (json_int_t)x->arm64_size),
					   "single")));
}

static int setup(void **state)
{
	struct fix *x = calloc(1, sizeof(*x));
	struct error *err = NULL;
	json_t *amd, *arm;
	char *blobs;

	strcpy(x->dir, "/tmp/test_registry.XXXXXX");
	assert_non_null(mkdtemp(x->dir));
	assert_non_null(realpath(x->dir, x->real));
	blobs = path_join(x->dir, "blobs/sha256");
	assert_int_equal(make_dirs(blobs, 0755, &err), 0);
	free(blobs);
	write_file(x->dir, "oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}", 30);
	for (int i = 0; i < 3; i++) {
		char data[64];

		x->layer_size[i] = (size_t)snprintf(data, sizeof(data), "layer %d bytes", i) + 10u * (size_t)i;
		memset(data + x->layer_size[i] - 10u * (size_t)i, 'z', 10u * (size_t)i);
		put_blob(x, data, x->layer_size[i], x->layer[i]);
	}
	x->config_size = put_json(x, json_pack("{s:s, s:s}", "architecture", "amd64", "os", "linux"),
				  x->config);
	amd = manifest(x, json_pack("[o, o]", desc(GZ, x->layer[0], (json_int_t)x->layer_size[0]),
				    desc(ZST, x->layer[1], (json_int_t)x->layer_size[1])));
	arm = manifest(x, json_pack("[o]", desc(GZ, x->layer[2], (json_int_t)x->layer_size[2])));
	x->amd64_size = put_json(x, amd, x->amd64);
	x->arm64_size = put_json(x, arm, x->arm64);
	x->index_size = put_json(x, json_pack("{s:i, s:s, s:[o, o]}", "schemaVersion", 2,
					      "mediaType", MT_OCI_INDEX, "manifests",
					      json_pack("{s:s, s:s, s:I, s:{s:s, s:s, s:s}}",
							"mediaType", MT_OCI_MANIFEST, "digest", x->arm64,
							"size", (json_int_t)x->arm64_size, "platform",
							"architecture", "arm64", "os", "linux", "variant", "v8"),
					      json_pack("{s:s, s:s, s:I, s:{s:s, s:s}}",
							"mediaType", MT_OCI_MANIFEST, "digest", x->amd64,
							"size", (json_int_t)x->amd64_size, "platform",
							"architecture", "amd64", "os", "linux")),
				 x->index);
	write_index_json(x);
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct fix *x = *state;
	struct error *err = NULL;

	assert_int_equal(remove_tree(x->dir, &err), 0);
	free(x);
	return 0;
}

static void resolve_ok(struct fix *x, const char *suffix, const char *platform,
		       struct image_layers *l)
{
	struct error *err = NULL;
	char spec[256];

	snprintf(spec, sizeof(spec), "%s%s", x->dir, suffix);
	if (image_resolve_oci(spec, platform, l, &err) < 0)
		fail_msg("resolve %s: %s", spec, err->msg);
}

/* Resolve and expect failure with ERRNUM and NEEDLE in the message. */
static void resolve_fails(struct fix *x, const char *suffix, const char *platform,
			  int errnum, const char *needle)
{
	struct image_layers l;
	struct error *err = NULL;
	char spec[256];

	snprintf(spec, sizeof(spec), "%s%s", x->dir, suffix);
	assert_int_equal(image_resolve_oci(spec, platform, &l, &err), -1);
	if (!strstr(err->msg, needle))
		fail_msg("'%s' lacks '%s'", err->msg, needle);
	if (errnum)
		assert_int_equal(err->errnum, errnum);
	assert_non_null(strstr(err->msg, "oci:"));
	error_free(&err);
}

static void check_layer(struct fix *x, const struct image_layer *l, int i,
			const char *mt)
{
	char path[PATH_MAX + 128];

	snprintf(path, sizeof(path), "%s/blobs/sha256/%s", x->real, x->layer[i] + 7);
	assert_string_equal(l->url, path);
	assert_string_equal(l->digest, x->layer[i]);
	assert_int_equal(l->size, x->layer_size[i]);
	assert_string_equal(l->media_type, mt);
}

static void test_platforms(void **state)
{
	struct fix *x = *state;
	struct image_layers l;

	resolve_ok(x, ":v1", NULL, &l);
	assert_int_equal(l.count, 2);
	check_layer(x, &l.layers[0], 0, GZ);	/* lowest first */
	check_layer(x, &l.layers[1], 1, ZST);
	assert_string_equal(l.config_digest, x->config);
	/* the platform's manifest names the image, not the index above it */
	assert_string_equal(l.manifest_digest, x->amd64);
	image_layers_free(&l);
	assert_string_equal(l.manifest_digest, "");

	resolve_ok(x, ":v1", "linux/x86_64", &l);
	assert_int_equal(l.count, 2);
	image_layers_free(&l);

	resolve_ok(x, ":v1", "linux/arm64", &l);
	assert_int_equal(l.count, 1);
	check_layer(x, &l.layers[0], 2, GZ);
	assert_string_equal(l.manifest_digest, x->arm64);
	image_layers_free(&l);
	resolve_ok(x, ":v1", "linux/arm64/v8", &l);
	assert_int_equal(l.count, 1);
	image_layers_free(&l);

	resolve_fails(x, ":v1", "linux/s390x", ENOENT,
		      "no manifest for linux/s390x (platforms: linux/arm64/v8, linux/amd64)");
	resolve_fails(x, ":v1", "linux/arm64/v7", ENOENT, "no manifest for linux/arm64/v7");
	resolve_fails(x, ":v1", "linux", EINVAL, "platform 'linux'");
}

static void test_tags(void **state)
{
	struct fix *x = *state;
	struct image_layers l;

	resolve_ok(x, ":single", "linux/arm64", &l);
	assert_int_equal(l.count, 1);
	image_layers_free(&l);
	/* a single tagged manifest without a platform is taken as it is */
	resolve_ok(x, ":single", NULL, &l);
	image_layers_free(&l);
	resolve_fails(x, ":nope", NULL, ENOENT, "no manifest tagged 'nope' (tags: v1, single)");
	resolve_fails(x, ":", NULL, EINVAL, "bad tag");
	/* no tag: none is "latest", and two without platforms */
	resolve_fails(x, "", NULL, ENOENT, "2 manifests and none names a platform");

	put_index_json(x, json_pack("{s:i, s:[o, o]}", "schemaVersion", 2, "manifests",
				    tagged(desc(MT_OCI_INDEX, x->index, (json_int_t)x->index_size), "latest"),
				    tagged(desc(MT_OCI_MANIFEST, x->arm64, (json_int_t)x->arm64_size), "v2")));
	resolve_ok(x, "", NULL, &l);
	assert_int_equal(l.count, 2);
	image_layers_free(&l);

	put_index_json(x, json_pack("{s:i, s:[o]}", "schemaVersion", 2, "manifests",
				    desc(MT_OCI_MANIFEST, x->amd64, (json_int_t)x->amd64_size)));
	resolve_ok(x, "", NULL, &l);	/* the only one */
	assert_int_equal(l.count, 2);
	image_layers_free(&l);
}

static void test_layout_checks(void **state)
{
	struct fix *x = *state;
	char path[PATH_MAX];

	write_file(x->dir, "oci-layout", "{\"imageLayoutVersion\":\"2.0.0\"}", 30);
	resolve_fails(x, ":v1", NULL, EINVAL, "imageLayoutVersion");
	write_file(x->dir, "oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}", 30);
	snprintf(path, sizeof(path), "%s/blobs/sha256/%s", x->dir, x->layer[1] + 7);
	assert_int_equal(unlink(path), 0);
	resolve_fails(x, ":v1", NULL, ENOENT, x->layer[1]);
	resolve_fails(x, "/nonexistent", NULL, ENOENT, "nonexistent");
}

/* Point tag v1 at manifest J (taken) and expect NEEDLE. */
static void hostile_manifest(struct fix *x, json_t *j, const char *needle)
{
	char digest[DIGEST_STRLEN + 1];
	size_t size = put_json(x, j, digest);

	put_index_json(x, json_pack("{s:i, s:[o]}", "schemaVersion", 2, "manifests",
				    tagged(desc(MT_OCI_MANIFEST, digest, (json_int_t)size), "v1")));
	resolve_fails(x, ":v1", NULL, 0, needle);
}

static void hostile_layer(struct fix *x, json_t *layer, const char *needle)
{
	hostile_manifest(x, manifest(x, json_pack("[o, o]",
						  desc(GZ, x->layer[0], (json_int_t)x->layer_size[0]),
						  layer)), needle);
}

static void test_hostile_manifests(void **state)
{
	struct fix *x = *state;

	hostile_layer(x, desc(GZ, "sha256:XYZ", 3), "descriptor digest 'sha256:XYZ'");
	hostile_layer(x, desc(GZ, "sha512:abcd", 3), "unsupported algorithm");
	hostile_layer(x, desc(GZ, x->layer[1], -1), "size is not a non-negative integer");
	hostile_layer(x, desc(GZ, x->layer[1], 1ll << 50), "more than");
	hostile_layer(x, json_pack("{s:s, s:s, s:f}", "mediaType", GZ, "digest", x->layer[1],
				   "size", 1.5), "size is not a non-negative integer");
	hostile_layer(x, desc("application/x-tar+lz4", x->layer[1], 3),
		      "unsupported layer media type application/x-tar+lz4");
	hostile_layer(x, desc("application/vnd.oci.image.layer.v1.tar+gzip+encrypted",
			      x->layer[1], 3), "an encrypted layer");
	hostile_layer(x, desc("application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
			      x->layer[1], 3), "a foreign layer");
	hostile_layer(x, json_string("layer"), "descriptor is not an object");
	hostile_manifest(x, json_pack("{s:i, s:s, s:o, s:[]}", "schemaVersion", 2, "mediaType",
				      MT_OCI_MANIFEST, "config",
				      desc("application/vnd.cncf.helm.config.v1+json", x->config, 10),
				      "layers"), "not a container image");
	hostile_manifest(x, json_pack("{s:i, s:o, s:[]}", "schemaVersion", 1, "config",
				      desc(CFG, x->config, 10), "layers"), "schema 1");
	hostile_manifest(x, json_pack("{s:i, s:s}", "schemaVersion", 2, "config", "x"),
			 "manifest without a layers array");
	hostile_manifest(x, json_pack("[i]", 42), "not a JSON object");
	hostile_manifest(x, json_pack("{s:i, s:s, s:o, s:[]}", "schemaVersion", 2, "mediaType",
				      MT_OCI_INDEX, "config", desc(CFG, x->config, 10), "layers"),
			 "its descriptor says");
}

static void test_hostile_index(void **state)
{
	struct fix *x = *state;
	char name[128], fake[DIGEST_STRLEN + 1];

	put_index_json(x, json_pack("{s:i, s:[o]}", "schemaVersion", 2, "manifests",
				    tagged(desc(MT_OCI_MANIFEST, "sha256:0123", 10), "v1")));
	resolve_fails(x, ":v1", NULL, EINVAL, "descriptor digest 'sha256:0123'");

	/* a blob whose content does not match its name */
	memcpy(fake, x->amd64, sizeof(fake));
	fake[7] = fake[7] == 'a' ? 'b' : 'a';
	snprintf(name, sizeof(name), "blobs/sha256/%s", fake + 7);
	{
		char *path = path_join(x->dir, "blobs/sha256"), *src, *dst;

		assert_true(asprintf(&src, "%s/%s", path, x->amd64 + 7) > 0);
		assert_true(asprintf(&dst, "%s/%s", path, fake + 7) > 0);
		assert_int_equal(link(src, dst), 0);
		free(src);
		free(dst);
		free(path);
	}
	put_index_json(x, json_pack("{s:i, s:[o]}", "schemaVersion", 2, "manifests",
				    tagged(desc(MT_OCI_MANIFEST, fake, (json_int_t)x->amd64_size), "v1")));
	resolve_fails(x, ":v1", NULL, EINVAL, "does not match its digest");
	put_index_json(x, json_pack("{s:i, s:[o]}", "schemaVersion", 2, "manifests",
				    tagged(desc(MT_OCI_MANIFEST, x->amd64, (json_int_t)x->amd64_size + 1), "v1")));
	resolve_fails(x, ":v1", NULL, EINVAL, "its descriptor says");
	put_index_json(x, json_pack("{s:i, s:[o]}", "schemaVersion", 2, "manifests",
				    tagged(desc(MT_OCI_MANIFEST, x->amd64, 10 << 20), "v1")));
	resolve_fails(x, ":v1", NULL, EFBIG, "more than");

	write_file(x->dir, "index.json", "[]", 2);
	resolve_fails(x, ":v1", NULL, EINVAL, "not a JSON object");
	write_file(x->dir, "index.json", "{\"schemaVersion\":2,\"manifests\":[],\"manifests\":[]}", 50);
	resolve_fails(x, ":v1", NULL, EINVAL, "duplicate");
	write_file(x->dir, "index.json", "{\"schemaVersion\":2,\"manifests\":{}}", 34);
	resolve_fails(x, ":v1", NULL, EINVAL, "manifests array");
	write_file(x->dir, "index.json", "{\"schemaVersion\":2,\"manifests\":[]}", 34);
	resolve_fails(x, ":v1", NULL, ENOENT, "no manifests");
	write_file(x->dir, "index.json", "{\"schemaVersion\":\"2\",\"manifests\":[]}", 36);
	resolve_fails(x, ":v1", NULL, EINVAL, "schemaVersion");
}

static void test_nested_index_loop(void **state)
{
	struct fix *x = *state;
	char digest[DIGEST_STRLEN + 1];
	size_t size = x->index_size;

	/* indexes nested five deep end with ELOOP */
	memcpy(digest, x->index, sizeof(digest));
	for (int i = 0; i < 5; i++)
		size = put_json(x, json_pack("{s:i, s:s, s:[o]}", "schemaVersion", 2, "mediaType",
					     MT_OCI_INDEX, "manifests",
					     desc(MT_OCI_INDEX, digest, (json_int_t)size)), digest);
	put_index_json(x, json_pack("{s:i, s:[o]}", "schemaVersion", 2, "manifests",
				    tagged(desc(MT_OCI_INDEX, digest, (json_int_t)size), "v1")));
	resolve_fails(x, ":v1", NULL, ELOOP, "nested");
}

static void test_doc_content_type(void **state)
{
	static const char doc[] = "{\"schemaVersion\":2,\"mediaType\":\"" MT_OCI_MANIFEST
				  "\",\"config\":{},\"layers\":[]}";
	struct error *err = NULL;
	enum doc_kind kind;
	json_t *j;

	(void)state;
	assert_int_equal(doc_parse(doc, strlen(doc), MT_OCI_MANIFEST "; charset=utf-8", NULL,
				   &j, &kind, &err), 0);
	assert_int_equal(kind, DOC_MANIFEST);
	json_decref(j);
	assert_int_equal(doc_parse(doc, strlen(doc), "application/json", NULL, &j, &kind, &err), 0);
	json_decref(j);
	assert_int_equal(doc_parse(doc, strlen(doc), MT_DOCKER_LIST, NULL, &j, &kind, &err), -1);
	assert_non_null(strstr(err->msg, "the server says"));
	error_free(&err);
	assert_int_equal(doc_parse("{\"schemaVersion\":2,\"manifests\":[]}", 34, MT_DOCKER_LIST,
				   NULL, &j, &kind, &err), 0);
	assert_int_equal(kind, DOC_INDEX);
	json_decref(j);
}

static void docker_fails(const char *spec, const char *needle)
{
	struct fetcher *f;
	struct image_layers l;
	struct error *err = NULL;

	assert_int_equal(fetcher_new(NULL, &f, &err), 0);
	assert_int_equal(image_resolve_docker(f, spec, NULL, &l, &err), -1);
	if (!strstr(err->msg, needle))
		fail_msg("'%s' lacks '%s'", err->msg, needle);
	assert_int_equal(err->errnum, EINVAL);
	error_free(&err);
	fetcher_free(f);
}

static void test_docker_references(void **state)
{
	(void)state;
	/* all rejected before any request is made */
	docker_fails("registry.example/x", "not //HOST/NAME");
	docker_fails("//registry.example", "bad registry host");
	docker_fails("//-bad/x", "bad registry host");
	docker_fails("//h/Upper:tag", "bad repository name 'Upper'");
	docker_fails("//h/a//b", "bad repository name");
	docker_fails("//h/a/../b", "bad repository name");
	docker_fails("//h/a-:t", "bad repository name");
	docker_fails("//h/a:-t", "bad tag");
	docker_fails("//h/a:t t", "bad tag");
	docker_fails("//h/a@sha256:abc", "digest 'sha256:abc'");
	docker_fails("//h:5000/a:", "bad tag");
}

static void test_platform_parse(void **state)
{
	struct error *err = NULL;
	struct platform p;

	(void)state;
	assert_int_equal(platform_parse(NULL, &p, &err), 0);
	assert_string_equal(p.os, "linux");
	assert_string_equal(p.arch, "amd64");
	assert_string_equal(p.variant, "");
	assert_int_equal(platform_parse("linux/aarch64/v8", &p, &err), 0);
	assert_string_equal(p.arch, "arm64");
	assert_string_equal(p.variant, "v8");
	assert_int_equal(platform_parse("linux/", &p, &err), -1);
	error_free(&err);
	assert_int_equal(platform_parse("linux/arm/v7/x", &p, &err), -1);
	error_free(&err);
	assert_int_equal(platform_parse("linux/a b", &p, &err), -1);
	error_free(&err);
}

/* ---- WWW-Authenticate ---- */

static void parse1(const char *value, struct auth_challenge **c, size_t *n)
{
	struct error *err = NULL;

	if (auth_parse_challenges(value, c, n, &err) < 0)
		fail_msg("parse '%s': %s", value, err->msg);
}

static void test_challenge_bearer(void **state)
{
	struct auth_challenge *c;
	size_t n;

	(void)state;
	parse1("Bearer realm=\"https://auth.example/token\",service=\"registry.example\","
	       "scope=\"repository:a/b:pull\"", &c, &n);
	assert_int_equal(n, 1);
	assert_string_equal(c[0].scheme, "Bearer");
	assert_string_equal(c[0].realm, "https://auth.example/token");
	assert_string_equal(c[0].service, "registry.example");
	assert_string_equal(c[0].scope, "repository:a/b:pull");
	auth_challenges_free(c, n);

	/* spacing, case, escapes, unquoted tokens, an extra error= */
	parse1("bearer  REALM = \"https://a/t?x=\\\"1\\\"\" , Service=reg.example,"
	       "error=\"insufficient_scope\", scope=\"repository:x:pull,push\"", &c, &n);
	assert_int_equal(n, 1);
	assert_string_equal(c[0].realm, "https://a/t?x=\"1\"");
	assert_string_equal(c[0].service, "reg.example");
	assert_string_equal(c[0].scope, "repository:x:pull,push");
	auth_challenges_free(c, n);
}

static void test_challenge_several(void **state)
{
	struct auth_challenge *c;
	size_t n;

	(void)state;
	parse1("Basic realm=\"r1\", Negotiate abc==, Bearer realm=\"r2\",service=s, Digest",
	       &c, &n);
	assert_int_equal(n, 4);
	assert_string_equal(c[0].scheme, "Basic");
	assert_string_equal(c[0].realm, "r1");
	assert_string_equal(c[1].scheme, "Negotiate");
	assert_null(c[1].realm);
	assert_string_equal(c[2].scheme, "Bearer");
	assert_string_equal(c[2].realm, "r2");
	assert_string_equal(c[2].service, "s");
	assert_null(c[2].scope);
	assert_string_equal(c[3].scheme, "Digest");
	auth_challenges_free(c, n);

	parse1("", &c, &n);
	assert_int_equal(n, 0);
	auth_challenges_free(c, n);
}

static void test_challenge_bad(void **state)
{
	static const char *const bad[] = {
		"Bearer realm=\"unterminated",
		"Bearer realm=\"a\", realm=\"b\"",
		"Bearer realm=\"a\" service=\"b\"",
		"Bearer realm=\"a\x01\"",
		"=realm",
		"Bearer realm=\"a\"\\",
	};
	struct auth_challenge *c;
	struct error *err = NULL;
	size_t n;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (auth_parse_challenges(bad[i], &c, &n, &err) == 0)
			fail_msg("accepted '%s'", bad[i]);
		assert_int_equal(err->errnum, EINVAL);
		error_free(&err);
	}
}

static void test_scope_prefix(void **state)
{
	char *p;

	(void)state;
	p = auth_scope_prefix("https://reg.example:5000/v2/a/b/blobs/sha256:00?x=/y");
	assert_string_equal(p, "https://reg.example:5000/v2/a/b/blobs/");
	free(p);
	p = auth_scope_prefix("https://reg.example");
	assert_null(p);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_platforms),
		T(test_tags),
		T(test_layout_checks),
		T(test_hostile_manifests),
		T(test_hostile_index),
		T(test_nested_index_loop),
		cmocka_unit_test(test_doc_content_type),
		cmocka_unit_test(test_docker_references),
		cmocka_unit_test(test_platform_parse),
		cmocka_unit_test(test_challenge_bearer),
		cmocka_unit_test(test_challenge_several),
		cmocka_unit_test(test_challenge_bad),
		cmocka_unit_test(test_scope_prefix),
	};

	return cmocka_run_group_tests_name("registry", tests, NULL, NULL);
}
