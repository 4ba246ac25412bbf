/* SPDX-License-Identifier: MIT */
/*
 * The data/ of an image store (ovlmig/store.h): each regular file whole,
 * at the path the metadata layer's redirect names. lowerfs puts there
 * what it fetched whole on demand, ovlmig's fill the rest; both go
 * through here so a file lands at one path, complete or not at all.
 */
#ifndef IMAGE_STORE_DATA_H
#define IMAGE_STORE_DATA_H

#include <stdbool.h>
#include <stdint.h>

#include "../common/error.h"
#include "tree.h"

/*
 * path[node]: where regular file NODE lives in data/ ("a/b"): its first
 * name in a depth-first walk, children in their sorted order (the name
 * meta_build redirects every name of it to). NULL for other nodes.
 */
struct data_paths {
	char **path;
	uint32_t count;
};

int data_paths_build(const struct image *img, struct data_paths *dp,
		     struct error **err);
void data_paths_free(struct data_paths *dp);

/* DATAFD/REL's directory (made as needed, 0700), opened; *NAME: its last name. */
int data_open_parent(int datafd, const char *rel, const char **name,
		     struct error **err);

/*
 * DATAFD/REL opened read-only if it is there whole: a regular file of
 * SIZE bytes (no symlink on the way); else -1.
 */
int data_open(int datafd, const char *rel, uint64_t size);
bool data_present(int datafd, const char *rel, uint64_t size);

/*
 * Put the complete file FD (SIZE bytes) at DATAFD/REL: hardlinked when on
 * the same filesystem, else copied, as TMPFD/TMPNAME (mode 0600, root's:
 * the metadata layer holds the real attributes), then renamed in.
 */
int data_place(int datafd, int tmpfd, const char *tmpname, const char *rel,
	       int fd, uint64_t size, struct error **err);

#endif
