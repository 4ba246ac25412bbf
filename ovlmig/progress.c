// SPDX-License-Identifier: MIT
#include "progress.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "../common/json_file.h"
#include "../common/util.h"
#include "status_keys.h"

#define PROGRESS_FILE "progress.json"

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
}

double progress_rate(const struct progress *p)
{
	double secs = (double)(now_ns() - p->started_ns) / 1e9;

	return secs > 0 ? (double)p->bytes_done / secs : 0;
}

double progress_eta(const struct progress *p)
{
	double rate = progress_rate(p);

	if (rate <= 0 || p->bytes_done > p->bytes_total)
		return -1;
	return (double)(p->bytes_total - p->bytes_done) / rate;
}

static json_t *to_json(const struct progress *p, double rate, double eta)
{
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:f, s:f}",
			 PROGRESS_ENTRIES_DONE, (json_int_t)p->entries_done,
			 PROGRESS_ENTRIES_TOTAL, (json_int_t)p->entries_total,
			 PROGRESS_BYTES_DONE, (json_int_t)p->bytes_done,
			 PROGRESS_BYTES_TOTAL, (json_int_t)p->bytes_total,
			 PROGRESS_DEFERRED, (json_int_t)p->deferred,
			 PROGRESS_RATE_BPS, rate, PROGRESS_ETA_S, eta);
}

json_t *progress_read(const char *state_dir)
{
	static const struct progress none;
	char *path = path_join(state_dir, PROGRESS_FILE);
	json_t *doc = path ? json_load_file(path, 0, NULL) : NULL;

	free(path);
	return doc ? doc : to_json(&none, 0, -1);
}

static void save(const struct progress *p)
{
	char *path = path_join(p->dir, PROGRESS_FILE);
	json_t *doc = to_json(p, progress_rate(p), progress_eta(p));
	struct error *err = NULL;

	/* best effort: progress is information, not state */
	if (path && json_file_replace(path, doc, JSON_COMPACT, 0, &err) < 0)
		error_free(&err);
	json_decref(doc);
	free(path);
}

static void draw(const struct progress *p)
{
	double frac = p->entries_total ?
		(double)p->entries_done / (double)p->entries_total : 1;
	double eta = progress_eta(p);
	char bar[31];
	int i, fill;

	if (frac > 1)
		frac = 1;
	fill = (int)(frac * 30);
	for (i = 0; i < 30; i++)
		bar[i] = i < fill ? '#' : '.';
	bar[30] = '\0';
	fprintf(stderr, "\r[%s] %3d%% %llu/%llu entries %.1f/%.1f MiB %.1f MiB/s ETA %s%.0fs ",
		bar, (int)(frac * 100), (unsigned long long)p->entries_done,
		(unsigned long long)p->entries_total,
		(double)p->bytes_done / 1048576, (double)p->bytes_total / 1048576,
		progress_rate(p) / 1048576, eta < 0 ? "?" : "", eta < 0 ? 0 : eta);
}

void progress_update(struct progress *p, bool force)
{
	uint64_t now = now_ns();

	if (!force && now - p->last_write_ns < 500000000ull)
		return;
	p->last_write_ns = now;
	save(p);
	if (p->tty)
		draw(p);
}

void progress_finish(struct progress *p)
{
	progress_update(p, true);
	if (p->tty)
		fputc('\n', stderr);
}
