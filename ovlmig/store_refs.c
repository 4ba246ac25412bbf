// SPDX-License-Identifier: MIT
/*
 * The references an image in the store was mounted by (store.h): every
 * tag or @digest naming one manifest shares its directory, and
 * `ovlmig images` lists them. A file of its own, so adding one never
 * races with the fill rewriting image.json's state.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "../common/fsutil.h"
#include "../common/json_file.h"
#include "../common/util.h"
#include "store_lock.h"
#include "store_refs.h"

#define REFS_FILE "references.json"
#define REFS_MAX 64		/* the most recent ones; older ones drop off */

json_t *store_refs(const char *dir)
{
	return json_file_load(dir, REFS_FILE, JSON_ARRAY);
}

static bool listed(json_t *refs, const char *ref)
{
	size_t i;
	json_t *r;

	json_array_foreach(refs, i, r)
		if (json_is_string(r) && !strcmp(json_string_value(r), ref))
			return true;
	return false;
}

int store_ref_add(const char *dir, const char *ref, struct error **err)
{
	char *path = path_join(dir, REFS_FILE);
	json_t *refs = NULL;
	int fd = -1, ret = -1;

	if (!path)
		return error_set(err, ENOMEM, "%s", dir);
	/* two mounts by two new names at once: neither name lost */
	if (store_lock(dir, "build.lock", LOCK_EX, &fd, err) < 0)
		goto out;
	refs = store_refs(dir);
	if (!refs && !(refs = json_array())) {
		error_set(err, ENOMEM, "%s", path);
		goto out;
	}
	if (listed(refs, ref)) {
		ret = 0;
		goto out;
	}
	if (json_array_size(refs) >= REFS_MAX && json_array_remove(refs, 0) < 0) {
		error_set(err, ENOMEM, "%s", path);
		goto out;
	}
	if (json_array_append_new(refs, json_string(ref)) < 0) {
		error_set(err, EINVAL, "not UTF-8, or out of memory");
		goto out;
	}
	ret = json_file_replace(path, refs, JSON_INDENT(2), FILE_DURABLE, err);
out:
	if (ret < 0)
		error_wrap(err, "record reference %s", ref);
	if (fd >= 0)
		close(fd);
	json_decref(refs);
	free(path);
	return ret;
}
