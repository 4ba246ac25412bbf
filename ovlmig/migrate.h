/* SPDX-License-Identifier: MIT */
#ifndef OVLMIG_MIGRATE_H
#define OVLMIG_MIGRATE_H

#include <stdbool.h>
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

/* A strategy's migration (migrate_run's shape). */
typedef int migrate_fn(const char *dir, struct mount_state *s,
		       const struct migrate_opts *o, struct error **err);

/*
 * Detach's first step, for every strategy: a mount not migrated (nor
 * detached) yet is migrated by MIGRATE with O when WAIT, else refused
 * with EAGAIN and what to run (MISSING, when not NULL: what is not
 * there yet).
 */
int migrate_first(const char *dir, struct mount_state *s, bool wait,
		  migrate_fn *migrate, const struct migrate_opts *o,
		  const char *missing, struct error **err);

/* What lowerfs says the image holds (entries but the root, bytes): the
 * totals of a migration's progress; 0 when it cannot be asked. */
void migrate_totals(const char *state_dir, uint64_t *entries, uint64_t *bytes);

#endif
