// SPDX-License-Identifier: MIT
#include "json_file.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fsutil.h"
#include "util.h"

struct dump {
	const json_t *doc;
	size_t flags;
};

/* One write: json_dumpfd writes every token by itself (hundreds of syscalls). */
static int write_doc(int fd, const void *arg, struct error **err)
{
	const struct dump *d = arg;
	char *text = json_dumps(d->doc, d->flags);
	int ret = 0;

	if (!text)
		return error_set(err, ENOMEM, "dump JSON");
	if (write_all(fd, text, strlen(text)) < 0)
		ret = error_set(err, errno ? errno : EIO, "write JSON");
	free(text);
	return ret;
}

int json_file_replace(const char *path, const json_t *doc, size_t dump_flags,
		      unsigned flags, struct error **err)
{
	struct dump d = { doc, dump_flags };

	if (!doc)
		return error_set(err, ENOMEM, "write %s", path);
	return file_replace(path, 0644, flags, write_doc, &d, err);
}

json_t *json_file_load(const char *dir, const char *name, json_type type)
{
	char *path = path_join(dir, name);
	json_t *doc = path ? json_load_file(path, 0, NULL) : NULL;

	free(path);
	if (doc && json_typeof(doc) != type) {
		json_decref(doc);
		doc = NULL;
	}
	return doc;
}
