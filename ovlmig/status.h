/* SPDX-License-Identifier: MIT */
#ifndef OVLMIG_STATUS_H
#define OVLMIG_STATUS_H

#include <jansson.h>

#include "../common/error.h"
#include "state.h"

/* The status of the mount S in DIR, as `ovlmig status --json` shows it. */
json_t *status_json(const char *dir, const struct mount_state *s);
/* Append the status of every managed mount to LIST. */
int status_all(json_t *list, struct error **err);

#endif
