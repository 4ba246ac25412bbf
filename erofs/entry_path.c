// SPDX-License-Identifier: MIT
/* An entry's path, for error messages: walked up its parents, escaped. */
#include "writer_int.h"

#include <stdlib.h>
#include <string.h>

#include "../common/log_escape.h"

/* deep enough for any message; a deeper or looping path is cut short */
#define PATH_DEPTH_MAX 1024

char *ew_path(const struct erofs_writer *w, uint32_t idx)
{
	size_t depth = 0, len = 0, pos;
	char *path, *escaped;
	uint32_t i;

	if (idx == w->root)
		return strdup("/");
	/* the parents may not be added yet, or may loop: stop at either */
	for (i = idx; i < w->count && i != w->root && depth < PATH_DEPTH_MAX;
	     i = w->entries[i].parent) {
		len += 1 + w->entries[i].name_len;
		depth++;
	}
	if (i != w->root)
		len++;		/* "?": the rest of the way is unknown */
	path = malloc(len + 1);
	if (!path)
		return NULL;
	pos = len;
	path[pos] = '\0';
	for (i = idx; depth--; i = w->entries[i].parent) {
		const struct ew_entry *e = &w->entries[i];

		pos -= e->name_len;
		memcpy(path + pos, e->name, e->name_len);
		path[--pos] = '/';
	}
	if (pos)
		path[0] = '?';
	escaped = log_escape(path);
	free(path);
	return escaped;
}

int ew_wrap_entry(const struct erofs_writer *w, uint32_t idx, struct error **err)
{
	char *path = ew_path(w, idx);

	if (!path)
		return error_wrap(err, "entry %u", idx);
	error_wrap(err, "%s", path);
	free(path);
	return -1;
}
