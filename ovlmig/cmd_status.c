// SPDX-License-Identifier: MIT
/*
 * ovlmig status [--json] [TARGET]: what each managed mount is doing. A
 * mount whose lower cannot serve it any more is an error (exit 1).
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../common/util.h"
#include "commands.h"
#include "state.h"
#include "status.h"
#include "status_keys.h"

static const char *str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static json_int_t num(json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

static json_int_t at_least(json_int_t total, json_int_t done)
{
	return total > done ? total : done;	/* a progress.json of old */
}

/* Bytes (they take the time) and entries apart; an ETA or why none. */
static void print_progress(json_t *p)
{
	json_int_t bytes = num(p, PROGRESS_BYTES_DONE),
		   entries = num(p, PROGRESS_ENTRIES_DONE),
		   bytes_total = at_least(num(p, PROGRESS_BYTES_TOTAL), bytes),
		   entries_total = at_least(num(p, PROGRESS_ENTRIES_TOTAL), entries);
	double eta = json_real_value(json_object_get(p, PROGRESS_ETA_S));
	const char *why = str(p, PROGRESS_ETA_UNKNOWN);
	json_int_t updated = num(p, PROGRESS_UPDATED);

	if (!entries_total && !bytes_total) {
		printf("  migrated  not started\n");
		return;
	}
	printf("  migrated  %.1f/%.1f MiB (%lld%%), %lld/%lld entries\n",
	       (double)bytes / 1048576, (double)bytes_total / 1048576,
	       bytes_total ? bytes * 100 / bytes_total : 100LL,
	       entries, entries_total);
	printf("  rate      %.1f MiB/s, ",
	       json_real_value(json_object_get(p, PROGRESS_RATE_BPS)) / 1048576);
	if (eta >= 0)
		printf("ETA %.0f s", eta);
	else
		printf("ETA unknown (%s)", why ? why : "not measured");
	/* written after each file: one large file keeps it from changing */
	if (eta != 0 && updated > 0 && time(NULL) - updated >= 3)
		printf(", as of %lld s ago", (long long)(time(NULL) - updated));
	putchar('\n');
}

/* Only when something went wrong: a healthy source says nothing. */
static void print_source(json_t *src)
{
	json_int_t errors = num(src, SOURCE_ERRORS_TRANSIENT) +
			    num(src, SOURCE_ERRORS_PERMANENT);
	const char *last = str(src, SOURCE_LAST_ERROR);

	if (!src || (json_is_true(json_object_get(src, SOURCE_REACHABLE)) && !errors))
		return;
	if (json_is_true(json_object_get(src, SOURCE_REACHABLE)))
		printf("  source    reachable; %lld fetch error%s (last: %s)\n",
		       errors, errors == 1 ? "" : "s", last ? last : "-");
	else
		printf("  source    unreachable for %lld s (%s); %lld fetch error%s; grace period %lld s\n",
		       num(src, SOURCE_UNREACHABLE_FOR), last ? last : "no answer",
		       errors, errors == 1 ? "" : "s", num(src, SOURCE_FETCH_GRACE));
}

static void print_human(json_t *st)
{
	json_t *lf = json_object_get(st, STATUS_LOWERFS);

	printf("%s\n  name      %s\n  strategy  %s\n  phase     %s\n"
	       "  lower     %s\n", str(st, STATUS_TARGET), str(st, STATUS_NAME),
	       str(st, STATUS_STRATEGY), str(st, STATUS_PHASE),
	       json_is_true(json_object_get(st, STATUS_LOWER_ATTACHED)) ?
		       "attached" : "detached");
	if (json_object_get(st, STATUS_STALE))
		printf("  stale     %s\n", str(st, STATUS_STALE));
	print_progress(json_object_get(st, STATUS_PROGRESS));
	if (json_object_get(st, STATUS_ERROR))
		printf("  error     %s\n", str(st, STATUS_ERROR));
	print_source(json_object_get(st, STATUS_SOURCE_STATE));
	if (lf)
		printf("  lowerfs   pid %lld, fetched %lld of %lld files, %lld of %lld bytes, passthrough %s\n",
		       num(st, STATUS_LOWERFS_PID),
		       json_integer_value(json_object_get(lf, "files_fetched")),
		       json_integer_value(json_object_get(lf, "files")),
		       json_integer_value(json_object_get(lf, "bytes_fetched")),
		       json_integer_value(json_object_get(lf, "bytes_total")),
		       json_is_true(json_object_get(lf, "passthrough")) ? "on" : "off");
}

static const struct cli_option options[] = {
	{ "json", 256, NULL, "print JSON (one mount's object, or {\"mounts\": [...]})" },
	{ "help", 'h', NULL, "show this help" },
};

const struct cli_command command_status = {
	"status", "[TARGET]",
	"strategy, phase, lower attached, lowerfs stats of one or every managed mount",
	options, ARRAY_SIZE(options), 0, 1, cmd_status,
};

static int option(void *ctx, int key, const char *arg)
{
	(void)key;
	(void)arg;
	*(bool *)ctx = true;	/* --json */
	return 0;
}

int cmd_status(int argc, char **argv)
{
	struct error *err = NULL;
	struct mount_state s;
	const char *target = NULL;
	bool as_json = false;
	json_t *list;
	char *dir = NULL;
	int n, code = 0;
	size_t i;

	n = command_parse(&command_status, argc, argv, option, &as_json, &code);
	if (n < 0)
		return code;
	target = n ? argv[1] : NULL;
	list = json_array();
	if (!list) {
		fprintf(stderr, "ovlmig status: out of memory\n");
		return EXIT_FAILED;
	}
	if (target) {
		if (state_find(target, &dir, &s, &err) < 0) {
			error_report(&err, "ovlmig status", stderr);
			json_decref(list);
			return EXIT_USAGE;
		}
		json_array_append_new(list, status_json(dir, &s));
		state_free(&s);
		free(dir);
	} else if (status_all(list, &err) < 0) {
		error_report(&err, "ovlmig status", stderr);
		json_decref(list);
		return EXIT_FAILED;
	}
	for (i = 0; i < json_array_size(list); i++)
		if (json_object_get(json_array_get(list, i), STATUS_ERROR))
			code = EXIT_FAILED;
	if (as_json) {
		json_t *out = target ? json_incref(json_array_get(list, 0)) :
				       json_pack("{s:O}", STATUS_MOUNTS, list);

		json_dumpf(out, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		putchar('\n');
		json_decref(out);
	} else {
		for (i = 0; i < json_array_size(list); i++)
			print_human(json_array_get(list, i));
		if (!json_array_size(list))
			printf("no ovlmig mounts\n");
	}
	json_decref(list);
	return code;
}
