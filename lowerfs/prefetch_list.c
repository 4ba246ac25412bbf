// SPDX-License-Identifier: MIT
/*
 * A prefetch list: one image path a line ("usr/bin/x", as --record-access
 * writes it), the files a container opened first. It may come from another
 * host (a registry), so every line is checked: a name that is not a plain
 * relative path of a regular file in this image is ignored, with a log
 * line. Names are only looked up in the image's own tree, never passed to
 * a syscall.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lowerfs.h"

#define LIST_PATH_MAX 4096
#define LIST_LOG_MAX 10		/* ignored lines logged one by one, then counted */

/* A plain relative path: no empty, "." or ".." component, no control byte. */
static const char *path_problem(const char *p, size_t len)
{
	size_t i, start = 0;

	if (!len)
		return "empty";
	if (len > LIST_PATH_MAX)
		return "too long";
	if (p[0] == '/')
		return "absolute";
	for (i = 0; i <= len; i++) {
		if (i < len && (unsigned char)p[i] < 0x20)
			return "a control character";
		if (i < len && p[i] != '/')
			continue;
		if (i == start)
			return "an empty component";
		if ((i - start == 1 && p[start] == '.') ||
		    (i - start == 2 && p[start] == '.' && p[start + 1] == '.'))
			return "a '.' or '..' component";
		start = i + 1;
	}
	return NULL;
}

static void ignored(const char *what, const char *p, size_t len,
		    const char *why, unsigned *nignored)
{
	if (++*nignored <= LIST_LOG_MAX)
		lowerfs_log("prefetch list %s: ignored \"%.*s\": %s", what,
			    (int)(len > 200 ? 200 : len), p, why);
}

int prefetch_list_parse(struct lowerfs *fs, const char *what, const char *text,
			size_t len, uint32_t **nodes, size_t *count,
			struct error **err)
{
	uint32_t *out = NULL;
	size_t n = 0, cap = 0, pos = 0;
	unsigned nignored = 0;
	char *path;

	path = malloc(LIST_PATH_MAX + 1);
	if (!path)
		return error_set(err, ENOMEM, "prefetch list %s", what);
	while (pos < len) {
		const char *line = text + pos;
		const char *nl = memchr(line, '\n', len - pos);
		size_t l = nl ? (size_t)(nl - line) : len - pos;
		const char *why = memchr(line, '\0', l) ? "a NUL byte" :
				  path_problem(line, l);
		uint32_t node = IMAGE_NONE;

		pos += l + (nl != NULL);
		if (!why) {
			memcpy(path, line, l);
			path[l] = '\0';
			node = image_lookup_path(&fs->img, path);
			if (node == IMAGE_NONE)
				why = "not in the image";
			else if (!S_ISREG(fs->img.nodes[node].mode))
				why = "not a regular file";
		}
		if (why) {
			ignored(what, line, l, why, &nignored);
			continue;
		}
		if (n == cap) {
			uint32_t *more = reallocarray(out, cap ? 2 * cap : 64,
						      sizeof(*out));

			if (!more) {
				free(out);
				free(path);
				return error_set(err, ENOMEM, "prefetch list %s",
						 what);
			}
			out = more;
			cap = cap ? 2 * cap : 64;
		}
		out[n++] = node;
	}
	free(path);
	if (nignored)
		lowerfs_log("prefetch list %s: %zu files, %u lines ignored", what,
			    n, nignored);
	*nodes = out;
	*count = n;
	return 0;
}
