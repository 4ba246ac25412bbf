/* SPDX-License-Identifier: MIT */
/*
 * The metadata layer of the datadir strategy: a local tree with every
 * directory, symlink, device, fifo, socket, hardlink and xattr of the
 * image, and every regular file as a sparse file of the right size that
 * points at its data in the lazy layer (trusted.overlay.metacopy and
 * trusted.overlay.redirect). Overlayfs then reaches FUSE only for the
 * data of files not yet copied up.
 */
#ifndef OVLMIG_META_H
#define OVLMIG_META_H

#include <stdint.h>

#include "../common/error.h"
#include "../image/tree.h"

/*
 * Materialize IMG in DIR, which must be absent or empty. DIR itself is
 * made root's, mode 0700: its devices and setuid files are real, and
 * only the overlay may reach them.
 */
int meta_build(const struct image *img, const char *dir, struct error **err);
/*
 * Give DIR the image root's owner, mode, xattrs and times. Overlayfs shows
 * the upper's root directory as the merged root, so a fresh upper gets
 * the image's.
 */
int meta_apply_root(const struct image *img, const char *dir, struct error **err);

/*
 * The same layer as one EROFS image file at PATH (written whole: a
 * synced new file renamed in), its superblock UUID UUID: overlayfs
 * needs its layers' filesystems told apart to keep index=on.
 */
int meta_build_erofs(const struct image *img, const uint8_t uuid[16],
		     const char *path, struct error **err);
/*
 * Mount the EROFS image IMAGE file-backed, read-only, attached nowhere:
 * *MFD is the mount's root. The mount lives as long as *MFD or an
 * overlay made over it (give it "/proc/self/fd/N"): nothing to take down.
 */
int meta_mount_erofs(const char *image, int *mfd, struct error **err);
/*
 * The metadata layer META (a directory tree, or an EROFS image file,
 * then mounted as above) for reading: *FD its root, *PATH a path to it
 * (malloc'd). Close *FD when done.
 */
int meta_open(const char *meta, int *fd, char **path, struct error **err);
/* dir_check_private() for META, a tree or an image file (then for the
 * file and its directory). */
int meta_check_private(const char *meta, struct error **err);

#endif
