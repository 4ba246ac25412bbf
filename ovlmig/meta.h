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

#endif
