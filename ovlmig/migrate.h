/* SPDX-License-Identifier: MIT */
#ifndef OVLMIG_MIGRATE_H
#define OVLMIG_MIGRATE_H

#include <stdint.h>

#include "../common/error.h"
#include "state.h"

struct migrate_opts {
	unsigned jobs;
	uint64_t bandwidth_mbps;	/* 0: unlimited */
};

/* Copy everything up and mark finished directories opaque (also used
 * by detach --wait). Sets the phase to migrating, then migrated. */
int migrate_run(const char *dir, struct mount_state *s,
		const struct migrate_opts *o, struct error **err);

#endif
