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
/* Stop it (SIGTERM, then SIGKILL) and lazy-unmount what is left. */
void lower_stop(struct mount_state *s);
/* The pid of the lowerfs serving S now (it may have been restarted), or 0. */
pid_t lowerfs_pid(const struct mount_state *s);
/* Is the lowerfs of S still running? */
int lower_alive(const struct mount_state *s);

#endif
