/* SPDX-License-Identifier: MIT */
/*
 * Mount: start the lazy lower, build the metadata layer from it, mount the
 * overlay at TARGET, record the state; an upper that detach recorded is
 * mounted on its metadata layer alone. Any failure undoes what was done.
 */
#ifndef OVLMIG_MOUNT_H
#define OVLMIG_MOUNT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/error.h"

struct mount_args {
	const char *strategy, *source, *lower_mount, *upper, *work, *meta;
	const char *cache, *name, *target, *xino;
	const char *store;	/* --store: the image store's root */
	const char *fill;	/* --fill: fuse (NULL too) or fanotify */
	uint64_t fill_range_min;	/* --fill-range-min; 0: the default */
	bool shutdown_lower;
	bool reprobe;		/* --reprobe: the kernel probed, not this boot's result */
	char **lower_args;	/* lowerfs options, NULL-terminated */
	size_t nlower_args;
};

/* Returns the exit code (exit_code.h); on failure *ERR says why. */
int mount_run(struct mount_args *a, struct error **err);

#endif
