// SPDX-License-Identifier: MIT
/*
 * ovlmig status [--json] [--watch[=SECONDS]] [TARGET]: what each managed mount is doing. A
 * mount whose lower cannot serve it any more is an error (exit 1).
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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
	if (json_object_get(st, STATUS_FILL_REASON))
		printf("  fill      %s (%s)\n", str(st, STATUS_FILL), str(st, STATUS_FILL_REASON));
	else if (json_object_get(st, STATUS_FILL))
		printf("  fill      %s\n", str(st, STATUS_FILL));
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

enum { OPT_JSON = 256, OPT_WATCH };

#define WATCH_DEFAULT_S 2

static const struct cli_option options[] = {
	{ "json", OPT_JSON, NULL, "print JSON (one mount's object, or {\"mounts\": [...]})" },
	{ "watch", OPT_WATCH, "[=SECONDS]",
	  "redraw every SECONDS (default 2) until every mount shown is detached or gone" },
	{ "help", 'h', NULL, "show this help" },
};

const struct cli_command command_status = {
	"status", "[TARGET]",
	"strategy, phase, lower attached, lowerfs stats of one or every managed mount",
	options, ARRAY_SIZE(options), 0, 1, cmd_status,
};

struct status_opts {
	bool as_json;
	double watch_s;		/* 0: once */
};

static int option(void *ctx, int key, const char *arg)
{
	struct status_opts *o = ctx;
	char *end;

	if (key == OPT_JSON) {
		o->as_json = true;
		return 0;
	}
	o->watch_s = WATCH_DEFAULT_S;
	if (!arg)
		return 0;
	o->watch_s = strtod(arg, &end);
	if (end == arg || *end || !(o->watch_s >= 0.1 && o->watch_s <= 3600)) {
		fprintf(stderr, "ovlmig status: --watch=%s: seconds from 0.1 to 3600\n", arg);
		return -1;
	}
	return 0;
}

/* Nothing left to watch in LIST: every mount detached or gone. */
static bool settled(json_t *list)
{
	size_t i;

	for (i = 0; i < json_array_size(list); i++) {
		json_t *m = json_array_get(list, i);

		if (!json_object_get(m, STATUS_STALE) &&
		    strcmp(str(m, STATUS_PHASE) ?: "", "detached"))
			return false;
	}
	return true;
}

/* Print the status of TARGET (NULL: every mount) once; its exit code. */
static int show(const char *target, const struct status_opts *o, bool *done)
{
	struct error *err = NULL;
	struct mount_state s;
	json_t *list = json_array();
	char *dir = NULL;
	int code = 0;
	size_t i;

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
	if (o->as_json) {
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
	*done = settled(list);
	json_decref(list);
	return code;
}

/*
 * --watch: on a terminal, redraw in place; otherwise one report after
 * the other. A target whose state goes away (umount) is done too.
 */
static int watch(const char *target, const struct status_opts *o)
{
	bool tty = isatty(STDOUT_FILENO), done = false, first = true;
	struct timespec ts = {
		.tv_sec = (time_t)o->watch_s,
		.tv_nsec = (long)((o->watch_s - (double)(time_t)o->watch_s) * 1e9),
	};
	int code;

	for (;;) {
		if (tty)
			fputs("\033[H\033[J", stdout);	/* home, clear */
		else if (!first)
			putchar('\n');
		code = show(target, o, &done);
		fflush(stdout);
		if (code == EXIT_USAGE && !first && target) {
			printf("%s: gone\n", target);
			return 0;
		}
		if (done || code == EXIT_USAGE)
			return code;
		first = false;
		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
		ts.tv_sec = (time_t)o->watch_s;
		ts.tv_nsec = (long)((o->watch_s - (double)(time_t)o->watch_s) * 1e9);
	}
}

int cmd_status(int argc, char **argv)
{
	struct status_opts o = { 0 };
	const char *target;
	bool done;
	int n, code = 0;

	n = command_parse(&command_status, argc, argv, option, &o, &code);
	if (n < 0)
		return code;
	target = n ? argv[1] : NULL;
	return o.watch_s ? watch(target, &o) : show(target, &o, &done);
}
