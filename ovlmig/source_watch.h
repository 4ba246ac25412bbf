/* SPDX-License-Identifier: MIT */
/*
 * Is the image's source reachable, as the lowerfs of a mount sees it?
 * While migrate runs, a thread asks every second and says once on
 * stderr that migrate waits for the source (its copy-ups wait in lowerfs
 * for the grace period meanwhile), and again when it is back.
 */
#ifndef OVLMIG_SOURCE_WATCH_H
#define OVLMIG_SOURCE_WATCH_H

#include <pthread.h>
#include <stdbool.h>

#include "../common/error.h"

struct source_watch {
	char *run_dir;		/* the lowerfs run dir */
	const char *target;	/* for the messages */
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool stop, started;
};

/* Start watching the lowerfs of RUN_DIR (a mount without one: nothing to watch). */
int source_watch_start(struct source_watch *w, const char *run_dir,
		       const char *target, struct error **err);
void source_watch_stop(struct source_watch *w);

/*
 * "unreachable for N s (HOST: why)" when the lowerfs of RUN_DIR says its
 * source is down, malloc'd; NULL when it is reachable or cannot be asked.
 */
char *source_unreachable(const char *run_dir);

#endif
