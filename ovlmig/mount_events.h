/* SPDX-License-Identifier: MIT */
/*
 * Counters of events in a managed mount's life that `ovlmig serve`
 * exports as metrics and nothing else records: lowerfs restarts (by the
 * keeper, STATE_DIR/restarts.json) and detaches with their duration
 * (STATE_DIR/detaches.json). One file per writer, so the keeper and a
 * detach never overwrite each other's counts. Best effort: a count that
 * cannot be written is logged, never a failure of what it counts.
 */
#ifndef OVLMIG_MOUNT_EVENTS_H
#define OVLMIG_MOUNT_EVENTS_H

#include <jansson.h>
#include <stdbool.h>

#include "../common/error.h"
#include "state.h"

struct strategy;

#define EVENTS_LOWERFS_RESTARTS	"lowerfs_restarts"
#define EVENTS_DETACHES		"detaches"
#define EVENTS_DETACHES_OK	"ok"		/* detaches.json: by result */
#define EVENTS_DETACHES_REFUSED	"refused"	/* migration incomplete */
#define EVENTS_DETACHES_FAILED	"failed"
#define EVENTS_DETACH_SECONDS_SUM "seconds_sum"	/* of the successful ones */
#define EVENTS_DETACH_SECONDS_LAST "seconds_last"

/* The keeper started a new lowerfs for the mount in STATE_DIR. */
void events_lowerfs_restarted(const char *state_dir);
/*
 * ST's detach of the mount S in DIR (see struct strategy), counted by
 * its result and timed. A mount detached already is not counted again.
 */
int events_detach(const struct strategy *st, const char *dir,
		  struct mount_state *s, bool wait, struct error **err);
/* The counts of the mount in STATE_DIR: {"lowerfs_restarts": N,
 * "detaches": {...}} with zeros where nothing happened. */
json_t *events_read(const char *state_dir);

#endif
