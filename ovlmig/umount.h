/* SPDX-License-Identifier: MIT */
/*
 * Unmount a managed mount: the overlay, then its lower (lowerfs stopped),
 * then its state directory. The upper, the metadata layer and the cache
 * stay: they are the container's data and what a later mount of it needs.
 */
#ifndef OVLMIG_UMOUNT_H
#define OVLMIG_UMOUNT_H

#include "../common/error.h"
#include "state.h"

int umount_mount(const char *dir, struct mount_state *s, struct error **err);

#endif
