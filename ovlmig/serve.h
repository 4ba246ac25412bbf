/* SPDX-License-Identifier: MIT */
/*
 * ovlmig serve: a long-lived daemon on RUN_ROOT/ovlmig.sock (mode 0600)
 * that owns the migration and detach jobs of registered mounts, restarts
 * unfinished ones when it starts, and answers status. Protocol: one JSON
 * request line per connection, one JSON reply line:
 *   {"op":"register","target":T}   start (or keep) the job of T
 *   {"op":"stop","target":T}       stop the job of T
 *   {"op":"status"}                {"mounts":[...]} as `ovlmig status --json`
 * and HTTP: GET /metrics, Prometheus text (serve_http.h, metrics.h), also
 * on a TCP address with --metrics-listen.
 */
#ifndef OVLMIG_SERVE_H
#define OVLMIG_SERVE_H

#include <jansson.h>

#include "../common/error.h"

char *serve_socket_path(void);
/* Send REQ to a running serve within TIMEOUT_MS; its reply, or NULL
 * (errno ECONNREFUSED/ENOENT when none runs). */
json_t *serve_call(json_t *req, int timeout_ms, struct error **err);
/* Hand TARGET's job to serve (started unless it runs or is done). */
int serve_register(const char *target, int timeout_ms, struct error **err);
/* Stop TARGET's job if serve runs it. */
int serve_stop(const char *target, int timeout_ms, struct error **err);

/*
 * Listen and serve until SIGTERM or SIGINT; -1 when it cannot listen.
 * METRICS_LISTEN: ADDR:PORT for metrics over TCP too, or NULL.
 */
int serve_run(const char *metrics_listen, struct error **err);

#endif
