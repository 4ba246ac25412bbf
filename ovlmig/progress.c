// SPDX-License-Identifier: MIT
#include "progress.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "../common/json_file.h"
#include "../common/util.h"
#include "status_keys.h"

#define PROGRESS_FILE "progress.json"
#define NS 1000000000ull

void progress_init(struct progress *p, const char *state_dir,
		   uint64_t entries_total, uint64_t bytes_total)
{
	*p = (struct progress){
		.entries_total = entries_total,
		.bytes_total = bytes_total,
		.started_ns = now_ns(),
		.dir = state_dir,
		.tty = isatty(STDERR_FILENO),
	};
	progress_sample(p, p->started_ns);
}

void progress_sample(struct progress *p, uint64_t now)
{
	p->samples[p->next] = (struct progress_sample){ now, p->bytes_done };
	p->next = (p->next + 1) % PROGRESS_SAMPLES;
	if (p->nsamples < PROGRESS_SAMPLES)
		p->nsamples++;
}

/*
 * Where the rate is measured from: the oldest sample of the window that
 * is a second old at least, else the newest one before the window (the
 * walk updates after each file: one large file can take longer).
 */
static const struct progress_sample *window_start(const struct progress *p,
						  uint64_t now)
{
	const struct progress_sample *in = NULL, *before = NULL;
	unsigned i;

	for (i = 0; i < p->nsamples; i++) {
		const struct progress_sample *s =
			&p->samples[(p->next + PROGRESS_SAMPLES - p->nsamples + i) %
				    PROGRESS_SAMPLES];

		if (s->ns > now || now - s->ns < NS)
			break;
		if (now - s->ns > PROGRESS_WINDOW_S * NS)
			before = s;
		else if (!in)
			in = s;
	}
	return in ? in : before;
}

void progress_view(const struct progress *p, uint64_t now,
		   struct progress_view *v)
{
	const struct progress_sample *s = window_start(p, now);
	uint64_t span = s ? now - s->ns : 0;

	*v = (struct progress_view){
		.entries_done = p->entries_done,
		.entries_total = p->entries_total > p->entries_done ?
				 p->entries_total : p->entries_done,
		.bytes_done = p->bytes_done,
		.bytes_total = p->bytes_total > p->bytes_done ?
			       p->bytes_total : p->bytes_done,
		.eta_s = -1,
	};
	/* over a second at least: one burst is no rate */
	if (s && p->bytes_done >= s->bytes)
		v->rate_bps = (double)(p->bytes_done - s->bytes) * 1e9 / (double)span;
	if (!p->entries_total && !p->bytes_total)
		v->why = "the image's size is not known";
	else if (v->bytes_done == v->bytes_total)
		v->eta_s = 0;	/* what is left is metadata: no measure of time */
	else if (!s)
		v->why = "measuring the rate";
	else if (v->rate_bps <= 0)
		v->why = "no data copied in the last seconds";
	else
		v->eta_s = (double)(v->bytes_total - v->bytes_done) / v->rate_bps;
}

static json_t *to_json(const struct progress_view *v, uint64_t deferred,
		       time_t updated)
{
	json_t *o = json_pack("{s:I, s:I, s:I, s:I, s:I, s:f, s:f, s:I}",
			      PROGRESS_ENTRIES_DONE, (json_int_t)v->entries_done,
			      PROGRESS_ENTRIES_TOTAL, (json_int_t)v->entries_total,
			      PROGRESS_BYTES_DONE, (json_int_t)v->bytes_done,
			      PROGRESS_BYTES_TOTAL, (json_int_t)v->bytes_total,
			      PROGRESS_DEFERRED, (json_int_t)deferred,
			      PROGRESS_RATE_BPS, v->rate_bps,
			      PROGRESS_ETA_S, v->eta_s,
			      PROGRESS_UPDATED, (json_int_t)updated);

	if (o && v->why &&
	    json_object_set_new(o, PROGRESS_ETA_UNKNOWN, json_string(v->why)) < 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

json_t *progress_read(const char *state_dir)
{
	static const struct progress_view none = { .eta_s = -1 };
	json_t *doc = json_file_load(state_dir, PROGRESS_FILE, JSON_OBJECT);

	return doc ? doc : to_json(&none, 0, 0);
}

static void save(const struct progress *p, const struct progress_view *v)
{
	char *path = path_join(p->dir, PROGRESS_FILE);
	/* the walk writes after each file: status says how old this is */
	json_t *doc = to_json(v, p->deferred, time(NULL));
	struct error *err = NULL;

	/* best effort: progress is information, not state */
	if (path && doc && json_file_replace(path, doc, JSON_COMPACT, 0, &err) < 0)
		error_free(&err);
	json_decref(doc);
	free(path);
}

/*
 * By bytes: they, not the entries, take the time. One line that fits 80
 * columns (a wrapped line cannot be redrawn with \r), then clear to its
 * end: the previous line may have been longer.
 */
static void draw(const struct progress_view *v)
{
	double frac = v->bytes_total ?
		(double)v->bytes_done / (double)v->bytes_total : 1;
	char bar[21], eta[32] = "unknown";
	int i, fill = (int)(frac * 20);

	for (i = 0; i < 20; i++)
		bar[i] = i < fill ? '#' : '.';
	bar[20] = '\0';
	if (v->eta_s >= 0)
		snprintf(eta, sizeof(eta), "%.0fs", v->eta_s);
	fprintf(stderr, "\r[%s] %3d%% %.1f/%.1f MiB %.1f MiB/s ETA %s\033[K",
		bar, (int)(frac * 100), (double)v->bytes_done / 1048576,
		(double)v->bytes_total / 1048576, v->rate_bps / 1048576, eta);
}

void progress_update(struct progress *p, bool force)
{
	uint64_t now = now_ns();
	struct progress_view v;

	if (!force && now - p->last_write_ns < NS / 2)
		return;
	p->last_write_ns = now;
	progress_sample(p, now);
	progress_view(p, now, &v);
	save(p, &v);
	if (p->tty)
		draw(&v);
}

void progress_finish(struct progress *p)
{
	progress_update(p, true);
	if (p->tty)
		fputc('\n', stderr);
}
