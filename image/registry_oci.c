// SPDX-License-Identifier: MIT
/*
 * oci:DIR[:TAG] — an OCI image layout on disk: oci-layout, index.json,
 * blobs/sha256/<hex>. Every blob read is checked against its descriptor
 * (size and sha256); layers must exist with their size.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/util.h"
#include "../common/error.h"
#include "manifest.h"
#include "registry.h"

#define LAYOUT_FILE_MAX (64u << 10)
#define TAG_MAX 255

/* Read a whole regular file of at most MAX bytes (NUL-terminated). */
static int read_small(const char *path, size_t max, char **buf, size_t *len,
		      struct error **err)
{
	struct stat st;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return error_set(err, errno, "open %s", path);
	if (fstat(fd, &st) < 0) {
		error_set(err, errno, "stat %s", path);
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		error_set_msg(err, EINVAL, "%s is not a regular file", path);
		goto fail;
	}
	if ((uint64_t)st.st_size > max) {
		error_set_msg(err, EFBIG, "%s has %lld bytes, more than %zu", path,
			      (long long)st.st_size, max);
		goto fail;
	}
	*buf = malloc((size_t)st.st_size + 1);
	if (!*buf) {
		error_set(err, ENOMEM, "read %s", path);
		goto fail;
	}
	n = read_full(fd, *buf, (size_t)st.st_size);
	if (n != st.st_size) {
		error_set(err, n < 0 ? errno : EIO, "read %s", path);
		free(*buf);
		*buf = NULL;
		goto fail;
	}
	(*buf)[n] = '\0';
	*len = (size_t)n;
	close(fd);
	return 0;
fail:
	close(fd);
	return -1;
}

static char *blob_path(const char *dir, const char *digest)
{
	char *p;

	if (asprintf(&p, "%s/blobs/sha256/%s", dir, digest + 7) < 0)
		return NULL;
	return p;
}

static char *layer_url(void *ctx, const char *digest)
{
	return blob_path(ctx, digest);
}

/* A document blob named by D: its size and sha256 must be D's. */
static int read_blob(const char *dir, const struct descriptor *d, char **buf,
		     size_t *len, struct error **err)
{
	char *path = blob_path(dir, d->digest);
	int ret;

	if (!path)
		return error_set(err, ENOMEM, "blob %s", d->digest);
	ret = read_small(path, MANIFEST_MAX, buf, len, err);
	free(path);
	if (ret < 0)
		return -1;
	if (*len != d->size || !digest_matches(d->digest, *buf, *len)) {
		free(*buf);
		*buf = NULL;
		if (*len != d->size)
			return error_set_msg(err, EINVAL, "blob %s has %zu bytes, its descriptor says %llu",
					     d->digest, *len, (unsigned long long)d->size);
		return error_set_msg(err, EINVAL, "blob %s does not match its digest", d->digest);
	}
	return 0;
}

static int check_layout(const char *dir, struct error **err)
{
	char *path = path_join(dir, "oci-layout"), *buf = NULL;
	const char *version;
	json_t *doc = NULL;
	size_t len;
	int ret = -1;

	if (!path)
		return error_set(err, ENOMEM, "oci-layout");
	if (read_small(path, LAYOUT_FILE_MAX, &buf, &len, err) < 0)
		goto out;
	doc = json_loadb(buf, len, JSON_REJECT_DUPLICATES, NULL);
	version = json_string_value(json_object_get(doc, "imageLayoutVersion"));
	if (!version || strncmp(version, "1.", 2)) {
		error_set_msg(err, EINVAL, "%s: no imageLayoutVersion 1.x", path);
		goto out;
	}
	ret = 0;
out:
	json_decref(doc);
	free(buf);
	free(path);
	return ret;
}

/* Each layer blob must be there with its size, so a bad layout fails now, not mid-read. */
static int check_layers(const struct image_layers *l, struct error **err)
{
	for (size_t i = 0; i < l->count; i++) {
		struct stat st;

		if (stat(l->layers[i].url, &st) < 0)
			return error_set(err, errno, "layer %s", l->layers[i].digest);
		if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size != l->layers[i].size)
			return error_set_msg(err, EINVAL, "layer %s: %lld bytes, the manifest says %llu",
					     l->layers[i].digest, (long long)st.st_size,
					     (unsigned long long)l->layers[i].size);
	}
	return 0;
}

/* Split "DIR[:TAG]": the last ':' after the last '/' starts the tag. */
static int split_spec(const char *spec, char **dir, char **tag,
		      struct error **err)
{
	const char *slash = strrchr(spec, '/'), *colon = strrchr(spec, ':');
	char *d;

	*tag = NULL;
	if (colon && (!slash || colon > slash)) {
		if (!colon[1] || strlen(colon + 1) > TAG_MAX)
			return error_set_msg(err, EINVAL, "oci:%s: bad tag", spec);
		*tag = strdup(colon + 1);
		d = strndup(spec, (size_t)(colon - spec));
	} else {
		d = strdup(spec);
	}
	if (!d || (colon && (!slash || colon > slash) && !*tag)) {
		free(d);
		free(*tag);
		return error_set(err, ENOMEM, "oci:%s", spec);
	}
	if (!*d) {
		free(d);
		free(*tag);
		return error_set_msg(err, EINVAL, "oci:%s: no directory", spec);
	}
	/* lowerfs leaves its working directory: layer paths must be absolute */
	*dir = realpath(d, NULL);
	if (!*dir) {
		error_set(err, errno, "oci:%s: %s", spec, d);
		free(d);
		free(*tag);
		return -1;
	}
	free(d);
	return 0;
}

static int resolve(const char *dir, const char *tag, const struct platform *p,
		   struct image_layers *out, struct error **err)
{
	struct descriptor d = { 0 };
	char *path = path_join(dir, "index.json"), *buf = NULL;
	enum doc_kind kind;
	json_t *doc = NULL;
	size_t len;
	int ret = -1;

	if (!path)
		return error_set(err, ENOMEM, "index.json");
	if (check_layout(dir, err) < 0)
		goto out;
	if (read_small(path, MANIFEST_MAX, &buf, &len, err) < 0)
		goto out;
	if (doc_parse(buf, len, NULL, MT_OCI_INDEX, &doc, &kind, err) < 0) {
		error_wrap(err, "%s", path);
		goto out;
	}
	if (index_select(doc, tag, p, &d, err) < 0) {
		error_wrap(err, "%s", path);
		goto out;
	}
	for (int depth = 0;; depth++) {
		json_decref(doc);
		doc = NULL;
		free(buf);
		buf = NULL;
		if (depth == MAX_INDEX_DEPTH) {
			error_set_msg(err, ELOOP, "indexes nested more than %d deep", MAX_INDEX_DEPTH);
			goto out;
		}
		if (read_blob(dir, &d, &buf, &len, err) < 0 ||
		    doc_parse(buf, len, NULL, d.media_type, &doc, &kind, err) < 0) {
			error_wrap(err, "manifest %s", d.digest);
			goto out;
		}
		if (kind == DOC_MANIFEST)
			break;
		descriptor_free(&d);
		if (index_select(doc, NULL, p, &d, err) < 0) {
			error_wrap(err, "index %s", d.digest);
			goto out;
		}
	}
	if (manifest_layers(doc, layer_url, (void *)dir, out, err) < 0) {
		error_wrap(err, "manifest %s", d.digest);
		goto out;
	}
	if (check_layers(out, err) < 0) {
		image_layers_free(out);
		goto out;
	}
	/* read_blob checked the manifest against it */
	memcpy(out->manifest_digest, d.digest, sizeof(d.digest));
	ret = 0;
out:
	descriptor_free(&d);
	json_decref(doc);
	free(buf);
	free(path);
	return ret;
}

int image_resolve_oci(const char *spec, const char *platform,
		      struct image_layers *out, struct error **err)
{
	struct platform p;
	char *dir = NULL, *tag = NULL;
	int ret;

	memset(out, 0, sizeof(*out));
	if (platform_parse(platform, &p, err) < 0)
		return error_wrap(err, "oci:%s", spec);
	if (split_spec(spec, &dir, &tag, err) < 0)
		return -1;
	ret = resolve(dir, tag, &p, out, err);
	if (ret < 0)
		error_wrap(err, "oci:%s", spec);
	free(dir);
	free(tag);
	return ret;
}
