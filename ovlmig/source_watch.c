// SPDX-License-Identifier: MIT
/* Watching the source's reachability through lowerfs' stats (source_watch.h). */
#include "source_watch.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../control/control.h"

#define WATCH_PERIOD_S 1

char *source_unreachable(const char *run_dir)
{
	struct error *err = NULL;
	json_t *st = control_stats(run_dir, &err);
	const char *last;
	char *out = NULL;

	error_free(&err);
	if (!st)
		return NULL;
	if (json_is_false(json_object_get(st, CONTROL_KEY_SOURCE_REACHABLE))) {
		last = json_string_value(json_object_get(st, CONTROL_KEY_LAST_FETCH_ERROR));
		if (asprintf(&out, "unreachable for %lld s (%s)",
			     (long long)json_integer_value(json_object_get(st, CONTROL_KEY_UNREACHABLE_FOR)),
			     last ? last : "no answer") < 0)
			out = NULL;
	}
	json_decref(st);
	return out;
}

static void *watch_main(void *arg)
{
	struct source_watch *w = arg;
	bool waiting = false;

	pthread_mutex_lock(&w->lock);
	while (!w->stop) {
		struct timespec ts;
		char *why;

		pthread_mutex_unlock(&w->lock);
		why = source_unreachable(w->run_dir);
		if (why && !waiting)
			fprintf(stderr, "ovlmig: %s: waiting for the source: %s\n",
				w->target, why);
		else if (!why && waiting)
			fprintf(stderr, "ovlmig: %s: the source is back, going on\n",
				w->target);
		waiting = why != NULL;
		free(why);
		pthread_mutex_lock(&w->lock);
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += WATCH_PERIOD_S;
		if (!w->stop)
			pthread_cond_timedwait(&w->cond, &w->lock, &ts);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

int source_watch_start(struct source_watch *w, const char *run_dir,
		       const char *target, struct error **err)
{
	int rc;

	memset(w, 0, sizeof(*w));
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);
	w->target = target;
	if (!run_dir)
		return 0;
	w->run_dir = strdup(run_dir);
	if (!w->run_dir)
		return error_set(err, ENOMEM, "source watch");
	rc = pthread_create(&w->thread, NULL, watch_main, w);
	if (rc)
		return error_set(err, rc, "source watch thread");
	w->started = true;
	return 0;
}

void source_watch_stop(struct source_watch *w)
{
	pthread_mutex_lock(&w->lock);
	w->stop = true;
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);
	if (w->started)
		pthread_join(w->thread, NULL);
	w->started = false;
	free(w->run_dir);
	w->run_dir = NULL;
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->cond);
}
