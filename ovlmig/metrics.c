// SPDX-License-Identifier: MIT
#include "metrics.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/util.h"
#include "../control/control.h"
#include "../control/fetch_latency.h"
#include "mount_events.h"
#include "phase.h"
#include "state.h"
#include "status.h"
#include "status_keys.h"

/* set on each mount's status document: its mount_events.h counts */
#define KEY_EVENTS "events"

/* the keys of lowerfs' stats reply that are exported as they are */
static const struct {
	const char *name, *key, *help;
} lowerfs_counters[] = {
	{ "ovlmig_lowerfs_fetched_bytes_total", "bytes_fetched",
	  "Bytes of whole files lowerfs fetched from the image's source." },
	{ "ovlmig_lowerfs_fetched_files_total", "files_fetched",
	  "Whole files lowerfs fetched from the image's source." },
	{ "ovlmig_lowerfs_read_bytes_total", "bytes_read",
	  "Bytes lowerfs served by FUSE READ (not counted: passthrough reads)." },
	{ "ovlmig_lowerfs_cache_hits_total", "cache_hits",
	  "Opens lowerfs served from its fetch cache." },
	{ "ovlmig_lowerfs_store_hits_total", "store_hits",
	  "Opens lowerfs served from the image store, not fetched." },
};

static const char *str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static double num(json_t *o, const char *key)
{
	return json_number_value(json_object_get(o, key));
}

static void family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/*
 * A label value: \, " and newline escaped as the format says; a byte
 * that is not printable ASCII (a path need not be UTF-8) as the four
 * characters \xNN, whose backslash is escaped in turn.
 */
static void label_value(FILE *f, const char *v)
{
	const unsigned char *p;

	for (p = (const unsigned char *)(v ? v : ""); *p; p++) {
		if (*p == '\\' || *p == '"')
			fprintf(f, "\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", f);
		else if (*p < 0x20 || *p >= 0x7f)
			fprintf(f, "\\\\x%02x", *p);
		else
			fputc(*p, f);
	}
}

static void value(FILE *f, double v)
{
	if (isnan(v))
		fputs(" NaN\n", f);
	else if (v == (double)(long long)v && fabs(v) < 1e15)
		fprintf(f, " %lld\n", (long long)v);
	else
		fprintf(f, " %.10g\n", v);
}

/* NAME{name=..,target=..,image=..[,LABEL=LVALUE]} V for mount M */
static void sample(FILE *f, const char *name, json_t *m, const char *label,
		   const char *lvalue, double v)
{
	fprintf(f, "%s{name=\"", name);
	label_value(f, str(m, STATUS_NAME));
	fputs("\",target=\"", f);
	label_value(f, str(m, STATUS_TARGET));
	fputs("\",image=\"", f);
	label_value(f, str(m, STATUS_SOURCE));
	fputc('"', f);
	if (label) {
		fprintf(f, ",%s=\"", label);
		label_value(f, lvalue);
		fputc('"', f);
	}
	fputc('}', f);
	value(f, v);
}

static void mounts_by_phase(FILE *f, json_t *list)
{
	enum phase p;
	size_t i;

	family(f, "ovlmig_mounts", "gauge", "Managed mounts by phase.");
	for (p = PHASE_MOUNTING; p <= PHASE_DETACHED; p++) {
		unsigned n = 0;

		for (i = 0; i < json_array_size(list); i++)
			n += !strcmp(str(json_array_get(list, i), STATUS_PHASE) ?: "",
				     phase_name(p));
		fprintf(f, "ovlmig_mounts{phase=\"%s\"} %u\n", phase_name(p), n);
	}
}

static void lowerfs_up(FILE *f, json_t *list)
{
	size_t i;

	family(f, "ovlmig_lowerfs_up", "gauge",
	       "1 while the mount's lower (its lowerfs) is attached.");
	for (i = 0; i < json_array_size(list); i++) {
		json_t *m = json_array_get(list, i);

		sample(f, "ovlmig_lowerfs_up", m, NULL, NULL,
		       json_is_true(json_object_get(m, STATUS_LOWER_ATTACHED)));
	}
}

/* Only the mounts whose lowerfs answered have these. */
static void lowerfs_figures(FILE *f, json_t *list)
{
	static const char *const ratios[][3] = {
		{ "ovlmig_lowerfs_cache_hit_ratio", "cache_hits",
		  "Share of lowerfs' file opens served from its fetch cache (NaN before any)." },
		{ "ovlmig_lowerfs_store_hit_ratio", "store_hits",
		  "Share of lowerfs' file opens served from the image store (NaN before any)." },
	};
	size_t i, c;

	for (c = 0; c < ARRAY_SIZE(lowerfs_counters); c++) {
		family(f, lowerfs_counters[c].name, "counter", lowerfs_counters[c].help);
		for (i = 0; i < json_array_size(list); i++) {
			json_t *m = json_array_get(list, i), *l = json_object_get(m, STATUS_LOWERFS);

			if (l)
				sample(f, lowerfs_counters[c].name, m, NULL, NULL,
				       num(l, lowerfs_counters[c].key));
		}
	}
	for (c = 0; c < ARRAY_SIZE(ratios); c++) {
		family(f, ratios[c][0], "gauge", ratios[c][2]);
		for (i = 0; i < json_array_size(list); i++) {
			json_t *m = json_array_get(list, i), *l = json_object_get(m, STATUS_LOWERFS);
			double opens = l ? num(l, "cache_hits") + num(l, "store_hits") +
					   num(l, "files_fetched") : 0;

			if (l)
				sample(f, ratios[c][0], m, NULL, NULL,
				       opens ? num(l, ratios[c][1]) / opens : NAN);
		}
	}
	family(f, "ovlmig_lowerfs_fetch_errors_total", "counter",
	       "Failed fetches from the image's source, by kind (transient: retried; permanent: an error to the reader).");
	for (i = 0; i < json_array_size(list); i++) {
		json_t *m = json_array_get(list, i), *l = json_object_get(m, STATUS_LOWERFS);

		if (!l)
			continue;
		sample(f, "ovlmig_lowerfs_fetch_errors_total", m, "kind", "transient",
		       num(l, CONTROL_KEY_FETCH_ERRORS_TRANSIENT));
		sample(f, "ovlmig_lowerfs_fetch_errors_total", m, "kind", "permanent",
		       num(l, CONTROL_KEY_FETCH_ERRORS_PERMANENT));
	}
	family(f, "ovlmig_lowerfs_source_reachable", "gauge",
	       "1 while lowerfs reaches the image's source.");
	for (i = 0; i < json_array_size(list); i++) {
		json_t *m = json_array_get(list, i), *l = json_object_get(m, STATUS_LOWERFS);

		if (l)
			sample(f, "ovlmig_lowerfs_source_reachable", m, NULL, NULL,
			       json_is_true(json_object_get(l, CONTROL_KEY_SOURCE_REACHABLE)));
	}
}

static void fetch_latency(FILE *f, json_t *list)
{
	static const uint64_t bounds[FETCH_LATENCY_BOUNDS] = FETCH_LATENCY_BOUNDS_US;
	const char *name = "ovlmig_lowerfs_fetch_duration_seconds";
	char le[32];
	size_t i, b;

	family(f, name, "histogram",
	       "How long lowerfs' fetches from the image's source took (whole files and chunks, failed ones too).");
	for (i = 0; i < json_array_size(list); i++) {
		json_t *m = json_array_get(list, i), *l = json_object_get(m, STATUS_LOWERFS);
		json_t *counts = json_object_get(l, CONTROL_KEY_FETCH_LATENCY_COUNTS);
		double cumulative = 0;

		if (json_array_size(counts) != FETCH_LATENCY_BUCKETS)
			continue;	/* no lowerfs, or an older one */
		for (b = 0; b < FETCH_LATENCY_BUCKETS; b++) {
			cumulative += json_number_value(json_array_get(counts, b));
			if (b < FETCH_LATENCY_BOUNDS)
				snprintf(le, sizeof(le), "%g", (double)bounds[b] / 1e6);
			else
				strcpy(le, "+Inf");
			fprintf(f, "%s_bucket", name);
			sample(f, "", m, "le", le, cumulative);
		}
		fprintf(f, "%s_sum", name);
		sample(f, "", m, NULL, NULL, num(l, CONTROL_KEY_FETCH_LATENCY_SUM_US) / 1e6);
		fprintf(f, "%s_count", name);
		sample(f, "", m, NULL, NULL, cumulative);
	}
}

static void progress(FILE *f, json_t *list)
{
	static const char *const gauges[][3] = {
		{ "ovlmig_migrate_done_bytes", PROGRESS_BYTES_DONE,
		  "Bytes the last migrate or store fill copied." },
		{ "ovlmig_migrate_total_bytes", PROGRESS_BYTES_TOTAL,
		  "Bytes to copy: the image's regular files (never below done)." },
		{ "ovlmig_migrate_done_entries", PROGRESS_ENTRIES_DONE,
		  "Entries the last migrate or store fill copied." },
		{ "ovlmig_migrate_total_entries", PROGRESS_ENTRIES_TOTAL,
		  "Entries to copy (never below done)." },
		{ "ovlmig_migrate_rate_bytes_per_second", PROGRESS_RATE_BPS,
		  "Copy rate over the last seconds of the migrate or fill." },
	};
	size_t i, g;

	for (g = 0; g < ARRAY_SIZE(gauges); g++) {
		family(f, gauges[g][0], "gauge", gauges[g][2]);
		for (i = 0; i < json_array_size(list); i++) {
			json_t *m = json_array_get(list, i);

			sample(f, gauges[g][0], m, NULL, NULL,
			       num(json_object_get(m, STATUS_PROGRESS), gauges[g][1]));
		}
	}
}

static void events(FILE *f, json_t *list)
{
	static const char *const results[] = {
		EVENTS_DETACHES_OK, EVENTS_DETACHES_REFUSED, EVENTS_DETACHES_FAILED,
	};
	size_t i, r;

	family(f, "ovlmig_lowerfs_restarts_total", "counter",
	       "New lowerfs processes the keeper started after one died.");
	for (i = 0; i < json_array_size(list); i++) {
		json_t *m = json_array_get(list, i);

		sample(f, "ovlmig_lowerfs_restarts_total", m, NULL, NULL,
		       num(json_object_get(m, KEY_EVENTS), EVENTS_LOWERFS_RESTARTS));
	}
	family(f, "ovlmig_detaches_total", "counter",
	       "Detaches of the mount by result (ok; refused: migration incomplete; failed).");
	for (i = 0; i < json_array_size(list); i++) {
		json_t *m = json_array_get(list, i);
		json_t *d = json_object_get(json_object_get(m, KEY_EVENTS), EVENTS_DETACHES);

		for (r = 0; r < ARRAY_SIZE(results); r++)
			sample(f, "ovlmig_detaches_total", m, "result", results[r],
			       num(d, results[r]));
	}
	family(f, "ovlmig_detach_duration_seconds_total", "counter",
	       "Time the mount's successful detaches took, in all.");
	for (i = 0; i < json_array_size(list); i++) {
		json_t *m = json_array_get(list, i);
		json_t *d = json_object_get(json_object_get(m, KEY_EVENTS), EVENTS_DETACHES);

		sample(f, "ovlmig_detach_duration_seconds_total", m, NULL, NULL,
		       num(d, EVENTS_DETACH_SECONDS_SUM));
	}
	family(f, "ovlmig_detach_last_duration_seconds", "gauge",
	       "How long the mount's last successful detach took (absent before one).");
	for (i = 0; i < json_array_size(list); i++) {
		json_t *m = json_array_get(list, i);
		json_t *d = json_object_get(json_object_get(m, KEY_EVENTS), EVENTS_DETACHES);

		if (json_object_get(d, EVENTS_DETACH_SECONDS_LAST))
			sample(f, "ovlmig_detach_last_duration_seconds", m, NULL, NULL,
			       num(d, EVENTS_DETACH_SECONDS_LAST));
	}
}

static int add_mount(const char *dir, struct mount_state *s, void *arg)
{
	json_t *doc = status_json(dir, s);

	/* a mount that cannot be read is left out, not the scrape */
	if (doc && json_object_set_new(doc, KEY_EVENTS, events_read(dir)) == 0)
		json_array_append(arg, doc);
	json_decref(doc);
	return 0;
}

char *metrics_render(unsigned jobs_running, size_t *len, struct error **err)
{
	json_t *list = json_array();
	char *text = NULL;
	FILE *f;

	if (!list) {
		error_set(err, ENOMEM, "metrics");
		return NULL;
	}
	if (state_each(add_mount, list, err) < 0) {
		json_decref(list);
		return NULL;
	}
	f = open_memstream(&text, len);
	if (!f) {
		error_set(err, errno, "metrics");
		json_decref(list);
		return NULL;
	}
	mounts_by_phase(f, list);
	family(f, "ovlmig_serve_jobs_running", "gauge",
	       "Migrate and detach jobs ovlmig serve runs now.");
	fprintf(f, "ovlmig_serve_jobs_running %u\n", jobs_running);
	lowerfs_up(f, list);
	lowerfs_figures(f, list);
	fetch_latency(f, list);
	progress(f, list);
	events(f, list);
	json_decref(list);
	if (fclose(f) != 0 || !text) {
		error_set(err, errno ? errno : ENOMEM, "metrics");
		free(text);
		return NULL;
	}
	return text;
}
