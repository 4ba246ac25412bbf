/* SPDX-License-Identifier: MIT */
/*
 * The metrics of every managed mount in the Prometheus text exposition
 * format 0.0.4, for `ovlmig serve` (GET /metrics on its socket and on
 * --metrics-listen). The figures are those `ovlmig status --json` shows
 * (lowerfs' stats, progress.json) and mount_events.h's counts; the names,
 * types and labels are documented in docs/METRICS.md and ovlmig(8).
 */
#ifndef OVLMIG_METRICS_H
#define OVLMIG_METRICS_H

#include <stddef.h>

#include "../common/error.h"

#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* The exposition (malloc'd, *LEN bytes); JOBS_RUNNING is serve's own. */
char *metrics_render(unsigned jobs_running, size_t *len, struct error **err);

#endif
