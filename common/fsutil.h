/* SPDX-License-Identifier: MIT */
#ifndef OVLMIG_FSUTIL_H
#define OVLMIG_FSUTIL_H

#include <sys/types.h>

#include "error.h"

/* rm -rf PATH without crossing into other mounts. */
int remove_tree(const char *path, struct error **err);
/* mkdir -p PATH with MODE for what it creates. */
int make_dirs(const char *path, unsigned mode, struct error **err);
/* Is PATH the mountpoint of some mount? 1 yes, 0 no, -1 error. */
int is_mountpoint(const char *path);
/* The device number of the mount at PATH, from the mount table (works
 * where stat fails, e.g. on an aborted FUSE mount). */
int mount_devno(const char *path, dev_t *dev);
/* Does the mount at PATH show option NAME (=VALUE, if not NULL)? */
int mount_has_option(const char *path, const char *name, const char *value);

/*
 * The names in directory DIRFD (REL names it in errors), sorted, without
 * "." and "..". Free with dir_names_free().
 */
int dir_names(int dirfd, const char *rel, char ***out, size_t *count,
	      struct error **err);
void dir_names_free(char **names, size_t n);

/*
 * Write PATH whole or not at all: FILL writes a new file beside it
 * (PATH.tmp.XXXXXX, mode MODE), which is then renamed over PATH, so no
 * reader and no crash ever sees half a file. With FILE_DURABLE the data
 * and the rename are synced to disk before it returns. On failure the
 * new file is removed and PATH is as it was.
 */
enum { FILE_DURABLE = 1 };
typedef int file_writer_fn(int fd, const void *arg, struct error **err);
int file_replace(const char *path, mode_t mode, unsigned flags,
		 file_writer_fn *fill, const void *arg, struct error **err);
/* file_replace() with the LEN bytes at DATA as the whole content. */
int file_replace_bytes(const char *path, mode_t mode, unsigned flags,
		       const void *data, size_t len, struct error **err);

#endif
