/* SPDX-License-Identifier: MIT */
/*
 * Copy-up of single entries through the overlay, the way the design
 * requires: data copy-up of a regular file by open(O_WRONLY) and close
 * with nothing written (never chown: it clears setuid and capabilities;
 * never O_TRUNC: it copies up an empty file), metadata copy-up of other
 * entries by setting their times to what they already are.
 */
#ifndef OVLMIG_COPYUP_H
#define OVLMIG_COPYUP_H

#include <stdbool.h>
#include <sys/stat.h>

/* Is NAME in UPPER_DIR fully up (present, and for files not metacopy)? */
bool copyup_done(int upper_dir, const char *name, mode_t mode);
/* Copy NAME (in overlay directory OVL_DIR, with stat ST) up. -errno. */
int copyup_entry(int ovl_dir, const char *name, const struct stat *st);
/*
 * Copy NAME up by setting its times to ST's: a metadata copy-up, or with
 * metacopy=off a full one for any non-directory, also a running binary
 * (nothing is opened for writing), keeping setuid bits and capabilities.
 * -ENOENT if NAME is not ST's entry any more.
 */
int copyup_by_times(int ovl_dir, const char *name, const struct stat *st);
/* Is UPPER_DIR's directory NAME ("." for itself) marked opaque? */
bool is_opaque(int upper_dir, const char *name);
/*
 * The redirect of UPPER_DIR's directory NAME (renamed while merged: where
 * its lower is, "/PATH" from the root or a name beside it), malloc'd, or
 * NULL.
 */
char *copyup_redirect(int upper_dir, const char *name);

#endif
