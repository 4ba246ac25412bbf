/* SPDX-License-Identifier: MIT */
/* Starting and stopping a mount's fanotify filler (fan_filler.h). */
#ifndef OVLMIG_FAN_SPAWN_H
#define OVLMIG_FAN_SPAWN_H

#include <stdbool.h>

#include "../common/error.h"

/* The filler for the mount of STATE_DIR started, detached, its marks placed. */
int fan_filler_start(const char *state_dir, struct error **err);

/* Is it running? (it holds STATE_DIR/filler.lock while it lives) */
bool fan_filler_alive(const char *state_dir);

/* Stopped (by the PID it recorded, if it still holds its lock); waited for. */
void fan_filler_stop(const char *state_dir);

#endif
