/* SPDX-License-Identifier: MIT */
/*
 * A dir: image in a fresh temp dir, shared by the unit tests that open
 * one (test_image.c, test_fan_range.c): DIR/src is the image's root, the
 * rest of DIR is the test's own. Every call asserts (cmocka) on failure.
 */
#ifndef OVLMIG_TESTS_UNIT_DIR_IMAGE_H
#define OVLMIG_TESTS_UNIT_DIR_IMAGE_H

#include <stddef.h>
#include <sys/types.h>

#include "../../image/image.h"

struct dir_image {
	char dir[64];		/* DIR: /tmp/ovlmig-unit.XXXXXX */
	int dirfd;		/* DIR, open */
	struct image_handle *h;	/* after dir_image_open() */
};

/* a fresh DIR holding an empty src/ (free with dir_image_teardown) */
struct dir_image *dir_image_new(void);
/* DIR/src/PATH: SIZE bytes starting with HEAD (the rest a hole), mode MODE */
void dir_image_file(struct dir_image *d, const char *path, const char *head,
		    size_t size, mode_t mode);
/* d->h: image_open() of "dir:DIR/src" */
void dir_image_open(struct dir_image *d);
/* a cmocka teardown, *state a dir_image_new(): closes the image and DIR,
 * removes DIR with all it holds, frees it */
int dir_image_teardown(void **state);

#endif
