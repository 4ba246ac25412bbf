/* SPDX-License-Identifier: MIT */
/*
 * The filler's worker: opens the image, lays and marks the placeholders
 * (fan_holes.h), then fills the one each event its keeper sends names
 * and replies allow or deny. Killed, it is restarted by its keeper,
 * which sends it again what it had not answered (fan_keeper.h).
 */
#ifndef OVLMIG_FAN_WORKER_H
#define OVLMIG_FAN_WORKER_H

#include "../common/error.h"
#include "fan_group.h"
#include "state.h"

/*
 * S's store, through STOREFD on the filler's own mount, for group G
 * marked as M says; events from SOCK until it closes. READY: told "ok\n" once the marks
 * are in place, or why not (-1: a restart, nobody waits).
 */
int fan_worker_run(const struct mount_state *s, int g, int storefd,
		   const struct fan_marks *m, int sock, int ready, struct error **err);

#endif
