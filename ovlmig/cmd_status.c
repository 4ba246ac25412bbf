// SPDX-License-Identifier: MIT
/*
 * ovlmig status [--json] [TARGET]: what each managed mount is doing. A
 * mount whose lower cannot serve it any more is an error (exit 1).
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/util.h"
#include "commands.h"
#include "state.h"
#include "status.h"

static void print_human(json_t *st)
{
	json_t *lf = json_object_get(st, "lowerfs");

	printf("%s\n  name      %s\n  strategy  %s\n  phase     %s\n"
	       "  lower     %s\n",
	       json_string_value(json_object_get(st, "target")),
	       json_string_value(json_object_get(st, "name")),
	       json_string_value(json_object_get(st, "strategy")),
	       json_string_value(json_object_get(st, "phase")),
	       json_is_true(json_object_get(st, "lower_attached")) ?
		       "attached" : "detached");
	{
		json_t *p = json_object_get(st, "progress");
		double eta = json_real_value(json_object_get(p, "eta_s"));
		char eta_text[32] = "-";

		if (eta >= 0)
			snprintf(eta_text, sizeof(eta_text), "%.0f s", eta);
		if (!json_integer_value(json_object_get(p, "entries_total")))
			printf("  migrated  not started\n");
		else
			printf("  migrated  %lld/%lld entries, %.1f/%.1f MiB, %.1f MiB/s, ETA %s\n",
		       json_integer_value(json_object_get(p, "entries_done")),
		       json_integer_value(json_object_get(p, "entries_total")),
		       (double)json_integer_value(json_object_get(p, "bytes_done")) / 1048576,
		       (double)json_integer_value(json_object_get(p, "bytes_total")) / 1048576,
		       json_real_value(json_object_get(p, "rate_bps")) / 1048576,
		       eta_text);
	}
	if (json_object_get(st, "error"))
		printf("  error     %s\n", json_string_value(json_object_get(st, "error")));
	if (lf)
		printf("  lowerfs   pid %lld, fetched %lld of %lld files, %lld of %lld bytes, passthrough %s\n",
		       json_integer_value(json_object_get(st, "lowerfs_pid")),
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
		if (json_object_get(json_array_get(list, i), "error"))
			code = EXIT_FAILED;
	if (as_json) {
		json_t *out = target ? json_incref(json_array_get(list, 0)) :
				       json_pack("{s:O}", "mounts", list);

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
