/* SPDX-License-Identifier: MIT */
#ifndef OVLMIG_SHUTDOWN_H
#define OVLMIG_SHUTDOWN_H

#include <stdbool.h>

#include "../common/error.h"

/* Can the filesystem mounted at PATH be shut down (XFS)? */
bool lower_can_shutdown(const char *path);
/*
 * Shut the filesystem at PATH down with XFS_IOC_GOINGDOWN (log and data
 * not flushed: it is a read-only image), so nothing can reach it any more.
 */
int lower_shutdown(const char *path, struct error **err);

#endif
