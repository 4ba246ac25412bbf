// SPDX-License-Identifier: MIT
#include "store_uppers.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/fsutil.h"
#include "../common/util.h"
#include "../image/digest.h"

#define UPPERS_DIR "uppers"
#define UPPER_RECORD_MAX 8192	/* a path and its newline */

int store_upper_add(const char *dir, const char *upper, struct error **err)
{
	char *sub = path_join(dir, UPPERS_DIR), *path = NULL, *text = NULL;
	uint8_t md[32];
	char hex[65];
	int ret = -1;

	if (!sub || asprintf(&text, "%s\n", upper) < 0) {
		text = NULL;
		error_set(err, ENOMEM, "record the upper %s", upper);
		goto out;
	}
	if (sha256_buf(upper, strlen(upper), md) < 0) {
		error_set(err, EIO, "record the upper %s: sha256", upper);
		goto out;
	}
	sha256_hex(md, hex);
	path = path_join(sub, hex);
	if (!path) {
		error_set(err, ENOMEM, "record the upper %s", upper);
		goto out;
	}
	if ((mkdir(sub, 0700) < 0 && errno != EEXIST) ||
	    file_replace_bytes(path, 0600, FILE_DURABLE, text, strlen(text), err) < 0) {
		if (!*err)
			error_set(err, errno, "mkdir %s", sub);
		error_wrap(err, "record the upper %s", upper);
		goto out;
	}
	ret = 0;
out:
	free(text);
	free(path);
	free(sub);
	return ret;
}

/* The path recorded in the file NAME of SUBFD, or NULL (not a record). */
static char *read_record(int subfd, const char *name)
{
	char buf[UPPER_RECORD_MAX];
	int fd = openat(subfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return NULL;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 1 || buf[0] != '/' || buf[n - 1] != '\n')
		return NULL;
	buf[n - 1] = '\0';
	return memchr(buf, '\0', (size_t)n - 1) ? NULL : strdup(buf);
}

json_t *store_uppers(const char *dir, struct error **err)
{
	char *sub = path_join(dir, UPPERS_DIR), **names = NULL, *upper;
	json_t *list = json_array();
	size_t n = 0, i;
	struct stat st;
	int subfd = -1;

	if (!sub || !list) {
		error_set(err, ENOMEM, "uppers of %s", dir);
		goto fail;
	}
	subfd = open(sub, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (subfd < 0) {
		if (errno == ENOENT)
			goto out;	/* no container recorded yet */
		error_set(err, errno, "open %s", sub);
		goto fail;
	}
	if (dir_names(subfd, sub, &names, &n, err) < 0)
		goto fail;
	for (i = 0; i < n; i++) {
		upper = read_record(subfd, names[i]);
		if (!upper)
			continue;	/* not a record of ours */
		if (stat(upper, &st) < 0 && errno == ENOENT) {
			/* the container's upper is gone: nothing needs the image for it */
			if (unlinkat(subfd, names[i], 0) < 0 && errno != ENOENT) {
				error_set(err, errno, "remove %s/%s", sub, names[i]);
				free(upper);
				goto fail;
			}
		} else if (json_array_append_new(list, json_string(upper)) < 0) {
			/* there, or cannot tell: the image stays needed */
			error_set(err, ENOMEM, "uppers of %s", dir);
			free(upper);
			goto fail;
		}
		free(upper);
	}
out:
	dir_names_free(names, n);
	if (subfd >= 0)
		close(subfd);
	free(sub);
	return list;
fail:
	json_decref(list);
	list = NULL;
	goto out;
}
