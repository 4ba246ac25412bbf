/* SPDX-License-Identifier: MIT */
/*
 * Does this kernel's FUSE offer passthrough (Linux >= 6.9 with
 * CONFIG_FUSE_PASSTHROUGH)? Strategy store needs it: see strategy_store.c.
 */
#ifndef OVLMIG_FUSE_PROBE_H
#define OVLMIG_FUSE_PROBE_H

#include <stdbool.h>

/*
 * Mounts a throwaway FUSE filesystem on the empty directory MNT and reads
 * the INIT request the kernel sends it. Only for a process with a mount
 * namespace of its own that is about to exit (overlay_probe's child): the
 * mount is left to die with the namespace. False if it cannot tell.
 */
bool fuse_probe_passthrough(const char *mnt);

#endif
