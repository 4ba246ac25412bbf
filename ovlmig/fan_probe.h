/* SPDX-License-Identifier: MIT */
/*
 * Which fill a store mount gets when --fill is not given: fanotify
 * (fan_filler.h) where it can work, else lowerfs over FUSE. Asked at
 * each mount, nothing cached: a store's filesystem and the kernel's
 * limits can change between mounts.
 */
#ifndef OVLMIG_FAN_PROBE_H
#define OVLMIG_FAN_PROBE_H

/*
 * NULL if a fanotify filler can fill a store under STORE_ROOT (it need
 * not exist yet: its nearest existing parent is asked): not on the root
 * filesystem, and the kernel has pre-content events there; else one
 * short reason why not (a static string).
 */
const char *fan_probe_store(const char *store_root);

/*
 * NULL if the filler reads the image as a mount with the lowerfs options
 * LOWER_ARGS (NULL-terminated, or NULL) asks; else why only lowerfs does.
 */
const char *fan_probe_options(char **lower_args);

#endif
