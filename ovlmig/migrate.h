/* SPDX-License-Identifier: MIT */
#ifndef OVLMIG_MIGRATE_H
#define OVLMIG_MIGRATE_H

#include <stdint.h>

#include "../common/error.h"
#include "state.h"

#define MIGRATE_JOBS_DEFAULT 2	/* copy-up; the store's fill picks its own */

struct migrate_opts {
	unsigned jobs;			/* 0: the strategy's default */
	uint64_t bandwidth_bps;		/* bytes per second; 0: unlimited */
};

/* Copy everything up and mark finished directories opaque (also used
 * by detach --wait). Sets the phase to migrating, then migrated. */
int migrate_run(const char *dir, struct mount_state *s,
		const struct migrate_opts *o, struct error **err);

/* What lowerfs says the image holds (entries but the root, bytes): the
 * totals of a migration's progress; 0 when it cannot be asked. */
void migrate_totals(const char *state_dir, uint64_t *entries, uint64_t *bytes);

#endif
