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

/*
 * Stopped (SIGTERM to the PID it recorded, if it still holds its lock;
 * SIGKILL after 5 s) and waited for, its worker too: once the lock is
 * free, neither holds the mount's cache any longer (fan_keeper.h).
 */
void fan_filler_stop(const char *state_dir);

#endif
