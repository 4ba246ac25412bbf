/* SPDX-License-Identifier: MIT */
#ifndef LOWERFS_CTL_CLIENT_H
#define LOWERFS_CTL_CLIENT_H

#include <jansson.h>

#include "../common/error.h"

/* Send CMD to the socket at SOCK_PATH; the raw reply (malloc'd) or NULL. */
char *ctl_request(const char *sock_path, const char *cmd, struct error **err);
/* Send CMD to the lowerfs of RUN_DIR; its JSON reply, or NULL with *err set
 * (also when lowerfs answers {"error": ...}). */
json_t *ctl_call(const char *run_dir, const char *cmd, struct error **err);
/*
 * The exact path of a node of the `live` reply (malloc'd): "path_b64"
 * when the name is not UTF-8, else "path". NULL with errno EINVAL (a bad
 * node) or ENOMEM.
 */
char *ctl_live_path(const json_t *node);

#endif
