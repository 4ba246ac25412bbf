/* SPDX-License-Identifier: MIT */
/*
 * Directories root keeps its own data in (caches, metadata layers, run
 * directories) must be beyond the reach of every other user: a file
 * planted there would be served to a container as image data.
 */
#ifndef OVLMIG_PRIVATE_DIR_H
#define OVLMIG_PRIVATE_DIR_H

#include "error.h"

/*
 * Refuse DIR (WHAT names it in errors: "cache directory") unless only
 * root can change it or where its path leads: DIR owned by root and not
 * writable by group or others; every directory above it owned by root
 * and not writable by group or others unless sticky (then no one else
 * can rename DIR away); every symlink on the way owned by root. A DIR
 * that does not exist yet is checked up to its nearest existing parent.
 * Fails with EPERM and a message naming the directory at fault.
 */
int dir_check_private(const char *what, const char *dir, struct error **err);
/* DIR as dir_check_private() wants it, made 0700 if it is missing. */
int dir_make_private(const char *what, const char *dir, struct error **err);

#endif
