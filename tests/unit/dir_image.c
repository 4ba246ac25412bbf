// SPDX-License-Identifier: MIT
/* A dir: image in a fresh temp dir for the unit tests (dir_image.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dir_image.h"

struct dir_image *dir_image_new(void)
{
	struct dir_image *d = calloc(1, sizeof(*d));

	assert_non_null(d);
	strcpy(d->dir, "/tmp/ovlmig-unit.XXXXXX");
	assert_non_null(mkdtemp(d->dir));
	d->dirfd = open(d->dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	assert_true(d->dirfd >= 0);
	assert_int_equal(mkdirat(d->dirfd, "src", 0755), 0);
	return d;
}

void dir_image_file(struct dir_image *d, const char *path, const char *head,
		    size_t size, mode_t mode)
{
	char rel[256];
	size_t len = strlen(head);
	int fd;

	assert_true((size_t)snprintf(rel, sizeof(rel), "src/%s", path) < sizeof(rel));
	fd = openat(d->dirfd, rel, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, head, len), (ssize_t)len);
	assert_int_equal(ftruncate(fd, (off_t)size), 0);
	/* the mode whole, whatever the umask */
	assert_int_equal(fchmod(fd, mode), 0);
	assert_int_equal(close(fd), 0);
}

void dir_image_open(struct dir_image *d)
{
	struct source_opts o = { 0 };
	struct error *err = NULL;
	char *spec;

	assert_true(asprintf(&spec, "dir:%s/src", d->dir) > 0);
	assert_int_equal(image_open(spec, &o, &d->h, &err), 0);
	assert_null(err);
	free(spec);
}

int dir_image_teardown(void **state)
{
	struct dir_image *d = *state;
	char *cmd;

	if (d->h)
		image_close(d->h);
	assert_int_equal(close(d->dirfd), 0);
	assert_true(asprintf(&cmd, "rm -rf '%s'", d->dir) > 0);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	free(d);
	return 0;
}
