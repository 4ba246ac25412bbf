/* SPDX-License-Identifier: MIT */
/* The FUSE control filesystem: aborting a connection. */
#ifndef OVLMIG_FUSECTL_H
#define OVLMIG_FUSECTL_H

#include <sys/types.h>

#include "../common/error.h"

/*
 * Write 1 to /sys/fs/fuse/connections/N/abort for the FUSE mount whose
 * st_dev is DEV (N: its minor number), mounting fusectl there first if
 * it is not. Every request pending or to come fails; the server exits.
 */
int fusectl_abort(dev_t dev, struct error **err);

#endif
