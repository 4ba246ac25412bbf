/* SPDX-License-Identifier: MIT */
#ifndef OVLMIG_STATUS_H
#define OVLMIG_STATUS_H

#include <jansson.h>

/* The status of every managed mount, as `ovlmig status --json` lists it. */
json_t *status_all(void);

#endif
