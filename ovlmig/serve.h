/* SPDX-License-Identifier: MIT */
/*
 * ovlmig serve: a long-lived daemon on RUN_ROOT/ovlmig.sock (mode 0600)
 * that owns the migration and detach jobs of registered mounts, restarts
 * unfinished ones when it starts, and answers status. Protocol: one JSON
 * request line per connection, one JSON reply line:
 *   {"op":"register","target":T}   start (or keep) the job of T
 *   {"op":"stop","target":T}       stop the job of T
 *   {"op":"status"}                {"mounts":[...]} as `ovlmig status --json`
 */
#ifndef OVLMIG_SERVE_H
#define OVLMIG_SERVE_H

#include <jansson.h>

#include "../common/error.h"

char *serve_socket_path(void);
/* Send REQ to a running serve within TIMEOUT_MS; its reply, or NULL
 * (errno ECONNREFUSED/ENOENT when none runs). */
json_t *serve_call(json_t *req, int timeout_ms, struct error **err);

/* Listen and serve until SIGTERM or SIGINT; -1 when it cannot listen. */
int serve_run(struct error **err);

#endif
