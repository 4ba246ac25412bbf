/* SPDX-License-Identifier: MIT */
/*
 * Detach: take the lazy lower away from a fully migrated overlay with
 * zero errors for running processes (the sequence is in detach.c and
 * ../shared/DESIGN.md).
 */
#ifndef OVLMIG_DETACH_H
#define OVLMIG_DETACH_H

#include <stdbool.h>

#include "../common/error.h"
#include "state.h"

/* Migrate first if WAIT, then detach. A refusal because migration is
 * incomplete sets errnum EAGAIN. Call with the mount's lock held. */
int detach_mount(const char *dir, struct mount_state *s, bool wait,
		 struct error **err);

#endif
