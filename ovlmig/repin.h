/* SPDX-License-Identifier: MIT */
/*
 * Repinning: a file the kernel still reaches through the lazy layer (a
 * running binary, a file opened before migration) is copied through the
 * overlay under a temporary name and renamed over the original, so new
 * opens get a fresh upper inode while current users keep the old one.
 * All names of a hardlink group move together, keeping the group whole.
 *
 * The overlay is the container's tree: every name is reached with
 * beneath.h, and the copy, link and rename of one name all happen in the
 * directory fd it was found in. A name whose path the workload changed
 * (a directory swapped for a symlink) is not repinned; that is logged.
 */
#ifndef OVLMIG_REPIN_H
#define OVLMIG_REPIN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#include "../common/error.h"

/* An overlay and its metadata layer (the image as it was mounted). */
struct image_tree {
	int rootfd;
	int metafd;
	const char *meta;
};

/*
 * Does REL in the overlay still lead to the image's file? A file keeps
 * the inode number of its metadata-layer entry (its origin), so a
 * repinned or replaced file no longer matches. A path the workload
 * changed on the way leads nowhere: no, and *WHY (if WHY) says how.
 */
bool image_file_at(const struct image_tree *t, const char *rel,
		   struct error **why);
/* The same for NAME in overlay directory DIRFD, REL its image path. */
bool image_file_in(const struct image_tree *t, int dirfd, const char *name,
		   const char *rel);

/*
 * Repin REL with every other name of its hardlink group (read from the
 * metadata layer) that still leads to it. 0 repinned, 1 not (REL does not
 * lead to the image's file; a changed path is logged), -1 error.
 */
int repin_image_file(const struct image_tree *t, const char *rel,
		     struct error **err);
/* The same for NAME in overlay directory DIRFD (REL its image path): for
 * a walk that holds the directory already. */
int repin_image_file_in(const struct image_tree *t, int dirfd,
			const char *name, const char *rel, struct error **err);

/* Log WHY, a name not repinned because its path changed; frees it. */
void repin_log_skipped(struct error **why);

#endif
