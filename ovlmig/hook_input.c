// SPDX-License-Identifier: MIT
#include "hook_input.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../common/util.h"

static bool id_valid(const char *id)
{
	size_t n = strlen(id);

	return n > 0 && n <= 1024 &&
	       strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == n;
}

static bool has_dotdot(const char *path)
{
	const char *p = path;

	while ((p = strstr(p, ".."))) {
		if ((p == path || p[-1] == '/') && (p[2] == '\0' || p[2] == '/'))
			return true;
		p += 2;
	}
	return false;
}

/* A string without NUL bytes: jansson allows them, paths do not. */
static const char *text_of(json_t *v)
{
	const char *s = json_string_value(v);

	return s && strlen(s) == json_string_length(v) ? s : NULL;
}

static void set_annotations(struct hook_input *in, json_t *a)
{
	const char *req;

	if (!json_is_object(a))
		return;
	json_decref(in->annotations);
	in->annotations = json_incref(a);
	req = json_string_value(json_object_get(a, "io.ovlmig.required"));
	in->required = req && !strcmp(req, "true");
}

int hook_input_state(struct hook_input *in, const char *text, size_t len,
		     struct error **err)
{
	json_error_t jerr;
	const char *id, *bundle;
	json_t *doc = json_loadb(text, len, 0, &jerr);
	int ret = -1;

	if (!doc)
		return error_set(err, EINVAL, "state on stdin is not valid JSON: %s",
				 jerr.text);
	if (!json_is_object(doc)) {
		error_set(err, EINVAL, "state is not a JSON object");
		goto out;
	}
	id = text_of(json_object_get(doc, "id"));
	bundle = text_of(json_object_get(doc, "bundle"));
	if (!id || !id_valid(id)) {
		error_set(err, EINVAL, "state: missing or invalid \"id\"");
		goto out;
	}
	if (!bundle || bundle[0] != '/' || has_dotdot(bundle)) {
		error_set(err, EINVAL, "state: \"bundle\" must be an absolute path without '..'");
		goto out;
	}
	in->id = strdup(id);
	in->bundle = strdup(bundle);
	if (!in->id || !in->bundle) {
		error_set(err, ENOMEM, "state");
		goto out;
	}
	set_annotations(in, json_object_get(doc, "annotations"));
	ret = 0;
out:
	json_decref(doc);
	return ret;
}

int hook_input_config(struct hook_input *in, const char *text, size_t len,
		      struct error **err)
{
	json_error_t jerr;
	const char *root;
	json_t *doc = json_loadb(text, len, 0, &jerr);
	int ret = -1;

	if (!doc)
		return error_set(err, EINVAL, "%s/config.json: %s (line %d)",
				 in->bundle, jerr.text, jerr.line);
	root = text_of(json_object_get(json_object_get(doc, "root"), "path"));
	if (!root || !*root) {
		error_set(err, EINVAL, "%s/config.json: no root.path", in->bundle);
		goto out;
	}
	if (has_dotdot(root)) {
		error_set(err, EINVAL, "%s/config.json: root.path '%s' contains '..': refused",
			  in->bundle, root);
		goto out;
	}
	free(in->rootfs);
	in->rootfs = root[0] == '/' ? strdup(root) : path_join(in->bundle, root);
	if (!in->rootfs) {
		error_set(err, ENOMEM, "root.path");
		goto out;
	}
	if (!in->annotations)	/* the runtime may pass them only in config */
		set_annotations(in, json_object_get(doc, "annotations"));
	ret = 0;
out:
	json_decref(doc);
	return ret;
}

void hook_input_free(struct hook_input *in)
{
	free(in->id);
	free(in->bundle);
	free(in->rootfs);
	json_decref(in->annotations);
	memset(in, 0, sizeof(*in));
}
