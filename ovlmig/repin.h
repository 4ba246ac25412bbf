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

#include <stddef.h>

#include "../common/error.h"

/* REL and its OTHER names, relative to the overlay root ROOTFD. */
int repin(int rootfd, const char *rel, const char *const *others,
	  size_t nothers, struct error **err);

#endif
