/* SPDX-License-Identifier: MIT */
/*
 * Repinning: a file the kernel still reaches through the lazy layer (a
 * running binary, a file opened before migration) is copied through the
 * overlay under a temporary name and renamed over the original, so new
 * opens get a fresh upper inode while current users keep the old one.
 * All names of a hardlink group move together, keeping the group whole.
 */
#ifndef OVLMIG_REPIN_H
#define OVLMIG_REPIN_H

#include <stdbool.h>
#include <stddef.h>

#include "../common/error.h"

/*
 * Remove the temporary names a killed migrate or detach left (recorded in
 * STATE_DIR/repin.journal), and journal new ones there from now on.
 */
int repin_journal(int rootfd, const char *state_dir, struct error **err);
/* Everything journaled is complete: forget it. */
void repin_journal_done(void);

/* REL and its OTHER names, relative to the overlay root ROOTFD. */
int repin(int rootfd, const char *rel, const char *const *others,
	  size_t nothers, struct error **err);

/* An overlay and its metadata layer (the image as it was mounted). */
struct image_tree {
	int rootfd;
	int metafd;
	const char *meta;
};

/*
 * Does REL in the overlay still lead to the image's file? A file keeps
 * the inode number of its metadata-layer entry (its origin), so a
 * repinned or replaced file no longer matches.
 */
bool image_file_at(const struct image_tree *t, const char *rel);
/* Repin REL with every other name of its hardlink group (read from the
 * metadata layer) that still leads to it. */
int repin_image_file(const struct image_tree *t, const char *rel,
		     struct error **err);

#endif
