/* SPDX-License-Identifier: MIT */
/* The lower layer: a lowerfs daemon ovlmig starts, or a given mount. */
#ifndef OVLMIG_LOWER_H
#define OVLMIG_LOWER_H

#include <sys/types.h>

#include "../common/error.h"
#include "state.h"

/* Start lowerfs for S->source at S->lower, run dir STATE_DIR/lowerfs. */
int lower_start(struct mount_state *s, const char *state_dir,
		struct error **err);
/*
 * lower_start in two halves, so that the caller can work while lowerfs
 * indexes the image: spawn returns at once with *CHILD, the process
 * that exits once lowerfs is mounted; wait reaps it (call it exactly
 * once for every spawn that succeeded, also on the way out of a failure,
 * so that lower_stop finds the lowerfs it started).
 */
int lower_spawn(struct mount_state *s, const char *state_dir, pid_t *child,
		struct error **err);
int lower_wait(struct mount_state *s, const char *state_dir, pid_t child,
	       struct error **err);
/* Stop it (SIGTERM, then SIGKILL) and lazy-unmount what is left. */
void lower_stop(struct mount_state *s);
/* The pid of the lowerfs serving S now (it may have been restarted), or 0. */
pid_t lowerfs_pid(const struct mount_state *s);
/* Is the lowerfs of S still running? */
int lower_alive(const struct mount_state *s);

#endif
