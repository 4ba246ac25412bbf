/* SPDX-License-Identifier: MIT */
/*
 * Migration progress: counters the walk updates, written to
 * STATE_DIR/progress.json for `ovlmig status`, and a progress bar on a
 * terminal.
 */
#ifndef OVLMIG_PROGRESS_H
#define OVLMIG_PROGRESS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "../common/error.h"

struct progress {
	uint64_t entries_done, entries_total;
	uint64_t bytes_done, bytes_total;
	uint64_t deferred;		/* running binaries left for detach */
	uint64_t started_ns, last_write_ns;
	const char *dir;		/* state dir */
	bool tty;
};

void progress_init(struct progress *p, const char *state_dir,
		   uint64_t entries_total, uint64_t bytes_total);
/* Save (at most every half second unless FORCE) and redraw the bar. */
void progress_update(struct progress *p, bool force);
void progress_finish(struct progress *p);
/* Bytes per second so far, and the estimated seconds left (-1: unknown). */
double progress_rate(const struct progress *p);
double progress_eta(const struct progress *p);
/* What the last migrate wrote to STATE_DIR; zeros before any migration. */
json_t *progress_read(const char *state_dir);

#endif
