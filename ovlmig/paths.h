/* SPDX-License-Identifier: MIT */
/*
 * Paths given on the command line, made absolute once at `ovlmig mount`:
 * the state outlives the caller's cwd, and lowerfs is restarted by a
 * keeper whose cwd is the state directory, so a relative path recorded
 * there would name something else later (or nothing).
 */
#ifndef OVLMIG_PATHS_H
#define OVLMIG_PATHS_H

#include "../common/error.h"

/*
 * PATH from the current directory, symlinks resolved as far as it exists
 * (a path not made yet keeps its last component). Malloc'd.
 */
char *absolute_path(const char *path, struct error **err);
/*
 * SPEC with every local path in it absolute: dir:PATH, each local layer
 * of tar:L1,L2 (not URLs), oci:DIR[:TAG]; docker:// and unknown kinds
 * stay as they are (source_open judges them). Malloc'd.
 */
char *source_absolute(const char *spec, struct error **err);

#endif
