/* SPDX-License-Identifier: MIT */
/*
 * Path operations in a tree the workload controls: the container's
 * overlay (and the upper it writes to). A process in it can swap any
 * directory for a symlink to a host directory at any moment, so a path is
 * never handed to a syscall whole. It is resolved with openat2 beneath a
 * directory fd, refusing symlinks, magic links and other mounts on the
 * way, to the directory that holds its last name; every operation is then
 * done on (that fd, the name) without following it. A swap after the open
 * cannot redirect them: the held directory is the one the name was in.
 */
#ifndef OVLMIG_BENEATH_H
#define OVLMIG_BENEATH_H

#include <stdbool.h>
#include <sys/stat.h>
#include <sys/types.h>

/*
 * Open REL ("" or "." for DIRFD itself) beneath DIRFD with FLAGS
 * (O_CLOEXEC added; MODE for O_CREAT). -1 with errno; ELOOP, EXDEV or
 * ENOTDIR when a symlink, a mount, a non-directory or ".." out of DIRFD
 * is on the way (beneath_changed).
 */
int beneath_open(int dirfd, const char *rel, int flags, mode_t mode);

/*
 * The directory holding REL's last name, opened O_RDONLY beneath DIRFD;
 * *NAME points into REL at that last name. -1 with errno (EINVAL for an
 * absolute REL or one not ending in a name).
 */
int beneath_parent(int dirfd, const char *rel, const char **name);

/*
 * NAME in DIRFD (one name) reopened with FLAGS only if it is a regular
 * file: looked at first through an O_PATH fd, so a FIFO or device put in
 * its place is never opened (ENOENT: the file that was there is gone).
 * *ST is what was opened.
 */
int beneath_open_regular(int dirfd, const char *name, int flags,
			 struct stat *st);

/* Does ERRNUM from the calls above mean the workload changed the path
 * (a symlink, a mount or a non-directory where a directory was)? */
bool beneath_changed(int errnum);

/*
 * Is a failure ERRNUM on REL, an entry of a walk, the workload's doing?
 * It is gone (ENOENT), or its path changed under the walk (logged, saying
 * what was not done: WHAT). Either way it is left alone.
 */
bool beneath_workload_changed(int errnum, const char *what, const char *rel);

#endif
