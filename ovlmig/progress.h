/* SPDX-License-Identifier: MIT */
/*
 * Migration progress: counters the walk updates, written to
 * STATE_DIR/progress.json for `ovlmig status`, and a progress bar on a
 * terminal.
 *
 * Entries and bytes are counted apart. The totals are the image's (its
 * nodes but the root, its regular files' bytes); the walk can meet more:
 * a hard-linked file is one node but one entry per name, and files the
 * container creates during the walk are walked too. So what is shown
 * never has done > total: a total grows to what the walk has met.
 * The rate, and the ETA from it, is that of the last PROGRESS_WINDOW_S
 * seconds, not of the whole run (a fetch stall or a bandwidth change
 * shows at once).
 */
#ifndef OVLMIG_PROGRESS_H
#define OVLMIG_PROGRESS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "../common/error.h"

#define PROGRESS_WINDOW_S 10
/* one sample per update (at most two a second) over the window */
#define PROGRESS_SAMPLES (2 * PROGRESS_WINDOW_S + 2)

struct progress_sample {
	uint64_t ns, bytes;
};

struct progress {
	uint64_t entries_done, entries_total;
	uint64_t bytes_done, bytes_total;
	uint64_t deferred;		/* running binaries left for detach */
	uint64_t started_ns, last_write_ns;
	const char *dir;		/* state dir */
	bool tty;
	/* bytes_done over time, oldest at next - count (a ring) */
	struct progress_sample samples[PROGRESS_SAMPLES];
	unsigned nsamples, next;
};

/* What to show: totals never below done, a rate, an ETA or why not. */
struct progress_view {
	uint64_t entries_done, entries_total;
	uint64_t bytes_done, bytes_total;
	double rate_bps;		/* over the last window; 0 if unknown */
	double eta_s;			/* -1: unknown, see why */
	const char *why;		/* NULL when eta_s is known */
};

void progress_init(struct progress *p, const char *state_dir,
		   uint64_t entries_total, uint64_t bytes_total);
/* Save (at most every half second unless FORCE) and redraw the bar. */
void progress_update(struct progress *p, bool force);
void progress_finish(struct progress *p);
/* Note bytes_done at time NOW (CLOCK_MONOTONIC ns) for the rate. */
void progress_sample(struct progress *p, uint64_t now);
/* What P shows at time NOW; pure arithmetic (unit-tested). */
void progress_view(const struct progress *p, uint64_t now,
		   struct progress_view *v);
/* What the last migrate wrote to STATE_DIR; zeros before any migration. */
json_t *progress_read(const char *state_dir);

#endif
