// SPDX-License-Identifier: MIT
#include "paths.h"

#include <errno.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/util.h"

char *absolute_path(const char *path, struct error **err)
{
	char *real = realpath(path, NULL), *dcopy = NULL, *bcopy = NULL;
	char *parent = NULL, *out = NULL;
	const char *base;

	if (real)
		return real;
	if (errno != ENOENT) {
		error_set(err, errno, "%s", path);
		return NULL;
	}
	/* not there yet: the parent made absolute, then the last name */
	dcopy = strdup(path);
	bcopy = strdup(path);
	if (!dcopy || !bcopy) {
		error_set(err, ENOMEM, "%s", path);
		goto out;
	}
	base = basename(bcopy);
	if (!strcmp(base, ".") || !strcmp(base, "..") || !strcmp(base, "/")) {
		error_set(err, ENOENT, "%s", path);
		goto out;
	}
	parent = absolute_path(dirname(dcopy), err);
	if (!parent)
		goto out;
	if (asprintf(&out, "%s/%s", strcmp(parent, "/") ? parent : "", base) < 0) {
		out = NULL;
		error_set(err, ENOMEM, "%s", path);
	}
out:
	free(parent);
	free(dcopy);
	free(bcopy);
	return out;
}

/* Append S (LEN bytes) to the growing string *OUT. */
static int append(char **out, const char *s, size_t len)
{
	size_t have = *out ? strlen(*out) : 0;
	char *p = realloc(*out, have + len + 1);

	if (!p)
		return -1;
	memcpy(p + have, s, len);
	p[have + len] = '\0';
	*out = p;
	return 0;
}

/* A local layer of a tar: source: a path, not a URL (file:// is absolute). */
static bool is_relative_layer(const char *name, size_t len)
{
	return len && name[0] != '/' && !memmem(name, len, "://", 3);
}

static char *tar_absolute(const char *arg, struct error **err)
{
	char *out = NULL;
	const char *p = arg;

	if (append(&out, "tar:", 4) < 0)
		goto nomem;
	while (*p) {
		size_t n = strcspn(p, ",");
		char *name, *abs = NULL;

		if (is_relative_layer(p, n)) {
			if (!(name = strndup(p, n)))
				goto nomem;
			abs = absolute_path(name, err);
			free(name);
			if (!abs)
				goto fail;
			if (strchr(abs, ',')) {
				error_set(err, EINVAL, "layer %s: a ',' in its absolute path would split it", abs);
				free(abs);
				goto fail;
			}
		}
		if ((abs ? append(&out, abs, strlen(abs)) : append(&out, p, n)) < 0 ||
		    (p[n] == ',' && append(&out, ",", 1) < 0)) {
			free(abs);
			goto nomem;
		}
		free(abs);
		p += n + (p[n] == ',');
	}
	return out;
nomem:
	error_set(err, ENOMEM, "tar:%s", arg);
fail:
	free(out);
	return NULL;
}

/* oci:DIR[:TAG]: the tag is after the last ':' that follows the last '/'
 * (the rule of registry_oci.c). */
static char *oci_absolute(const char *arg, struct error **err)
{
	const char *slash = strrchr(arg, '/'), *colon = strrchr(arg, ':');
	size_t dlen = colon && (!slash || colon > slash) ? (size_t)(colon - arg) : strlen(arg);
	char *dir = strndup(arg, dlen), *abs = NULL, *out = NULL;
	const char *last;

	if (!dir) {
		error_set(err, ENOMEM, "oci:%s", arg);
		return NULL;
	}
	if (dir[0] == '/' || !*dir) {	/* already absolute, or nothing: as given */
		free(dir);
		if (asprintf(&out, "oci:%s", arg) < 0) {
			error_set(err, ENOMEM, "oci:%s", arg);
			return NULL;
		}
		return out;
	}
	abs = absolute_path(dir, err);
	free(dir);
	if (!abs)
		return NULL;
	last = strrchr(abs, '/');
	if (strchr(last ? last : abs, ':')) {
		error_set(err, EINVAL, "oci directory %s: a ':' in its last name would read as a tag", abs);
	} else if (asprintf(&out, "oci:%s%s", abs, arg + dlen) < 0) {
		out = NULL;
		error_set(err, ENOMEM, "oci:%s", arg);
	}
	free(abs);
	return out;
}

char *source_absolute(const char *spec, struct error **err)
{
	char *abs, *out = NULL;

	if (!strncmp(spec, "tar:", 4))
		return tar_absolute(spec + 4, err);
	if (!strncmp(spec, "oci:", 4))
		return oci_absolute(spec + 4, err);
	if (strncmp(spec, "dir:", 4) || !spec[4] || spec[4] == '/') {
		if (!(out = strdup(spec)))
			error_set(err, ENOMEM, "%s", spec);
		return out;
	}
	abs = absolute_path(spec + 4, err);
	if (abs && asprintf(&out, "dir:%s", abs) < 0) {
		out = NULL;
		error_set(err, ENOMEM, "%s", spec);
	}
	free(abs);
	return out;
}
