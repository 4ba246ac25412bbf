// SPDX-License-Identifier: MIT
/*
 * ovlmig status [--json] [TARGET]: what each managed mount is doing. A
 * mount whose lower cannot serve it any more is an error (exit 1).
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int cmd_status(int argc, char **argv)
{
	struct error *err = NULL;
	struct mount_state s;
	const char *target = NULL;
	bool as_json = false;
	json_t *list = json_array();
	char *dir = NULL;
	int a, code = 0;
	size_t i;

	for (a = 1; a < argc; a++) {
		if (!strcmp(argv[a], "--json"))
			as_json = true;
		else if (argv[a][0] != '-' && !target)
			target = argv[a];
		else {
			fprintf(stderr, "usage: ovlmig status [--json] [TARGET]\n");
			json_decref(list);
			return EXIT_USAGE;
		}
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
