// SPDX-License-Identifier: MIT
/* An image's config: its layers' diff_ids (image_config.h). */
#include "image_config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

int image_config_diff_ids(struct fetcher *f, const struct image_layers *img,
			  char (**ids)[DIGEST_STRLEN + 1], struct error **err)
{
	char *url = NULL, *body = NULL;
	json_t *doc = NULL, *list;
	size_t len, i;
	int ret = -1;

	*ids = NULL;
	if (!img->repo_url || !img->config_digest)
		return error_set_msg(err, EINVAL, "image config: not a registry image");
	if (asprintf(&url, "%s/blobs/%s", img->repo_url, img->config_digest) < 0)
		return error_set(err, ENOMEM, "image config");
	if (fetcher_get(f, url, IMAGE_CONFIG_MAX, &body, &len, NULL, err) < 0)
		goto out;
	if (!digest_matches(img->config_digest, body, len)) {
		error_set_msg(err, EINVAL, "does not match its digest");
		goto out;
	}
	doc = json_loadb(body, len, 0, NULL);
	list = json_object_get(json_object_get(doc, "rootfs"), "diff_ids");
	if (!json_is_array(list) || json_array_size(list) != img->count) {
		error_set_msg(err, EINVAL, "rootfs.diff_ids does not list the image's %zu layers",
			      img->count);
		goto out;
	}
	*ids = calloc(img->count ? img->count : 1, sizeof(**ids));
	if (!*ids) {
		error_set(err, ENOMEM, "image config");
		goto out;
	}
	for (i = 0; i < img->count; i++) {
		const char *d = json_string_value(json_array_get(list, i));

		if (!d || !digest_valid(d) || strncmp(d, DIGEST_PREFIX, 7)) {
			error_set_msg(err, EINVAL, "rootfs.diff_ids[%zu] is not a sha256 digest", i);
			goto out;
		}
		memcpy((*ids)[i], d, DIGEST_STRLEN + 1);
	}
	ret = 0;
out:
	if (ret < 0) {
		free(*ids);
		*ids = NULL;
		error_wrap(err, "image config %s", img->config_digest ? img->config_digest : "");
	}
	json_decref(doc);
	free(body);
	free(url);
	return ret;
}
