// SPDX-License-Identifier: MIT
/*
 * ovlmig status [--json] [TARGET]: what each managed mount is doing. A
 * mount whose lower cannot serve it any more is an error (exit 1).
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/fsutil.h"
#include "../common/util.h"
#include "../control/control.h"
#include "commands.h"
#include "keeper.h"
#include "lower.h"
#include "state.h"
#include "status.h"

/* What the last migrate wrote; zeros before any migration. */
static json_t *read_progress(const char *dir)
{
	char *path = path_join(dir, "progress.json");
	json_t *p = path ? json_load_file(path, 0, NULL) : NULL;

	free(path);
	if (!p)
		p = json_pack("{s:i, s:i, s:i, s:i, s:i, s:f, s:f}",
			      "entries_done", 0, "entries_total", 0,
			      "bytes_done", 0, "bytes_total", 0, "deferred", 0,
			      "rate_bps", 0.0, "eta_s", -1.0);
	return p;
}

/*
 * Why the lower of S cannot serve the overlay any more, or NULL. A lowerfs
 * that died while its keeper runs is being restarted: readers wait.
 */
static const char *lower_problem(const char *dir, const struct mount_state *s,
				 bool alive)
{
	if (alive || !strcmp(s->phase, "detached") || !strcmp(s->phase, "mounting"))
		return NULL;
	if (!s->own_lower)
		return "the lower is not mounted: files not migrated yet cannot be read";
	if (keeper_alive(dir))
		return NULL;
	return "lowerfs is gone and no keeper restarts it (see keeper.log): "
	       "files not migrated yet cannot be read (ENOTCONN)";
}

static json_t *status_json(const char *dir, const struct mount_state *s)
{
	struct error *err = NULL;
	char *run = lower_run_dir(dir);
	json_t *stats = NULL, *doc;
	const char *problem;
	/* a mount given with --lower-mount stays attached until detach */
	int alive = s->own_lower ? lower_alive(s) :
		    strcmp(s->phase, "detached") && is_mountpoint(s->lower) == 1;

	if (alive && run && s->own_lower)
		stats = control_stats(run, &err);
	doc = json_pack("{s:s, s:s, s:s, s:s, s:s?, s:s, s:b, s:b, s:I, s:o*}",
			"name", s->name, "target", s->target,
			"strategy", s->strategy, "phase", s->phase,
			"source", s->source, "upper", s->upper,
			"mounted", is_mountpoint(s->target) == 1,
			"lower_attached", alive,
			"lowerfs_pid", (json_int_t)(alive && s->own_lower ? lowerfs_pid(s) : 0),
			"lowerfs", stats);
	if (err) {
		json_object_set_new(doc, "lowerfs_error", json_string(err->msg));
		error_free(&err);
	}
	problem = lower_problem(dir, s, alive);
	if (problem)
		json_object_set_new(doc, "error", json_string(problem));
	json_object_set_new(doc, "progress", read_progress(dir));
	free(run);
	return doc;
}

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

static int add_one(const char *dir, struct mount_state *s, void *arg)
{
	json_array_append_new(arg, status_json(dir, s));
	return 0;
}

json_t *status_all(void)
{
	struct error *err = NULL;
	json_t *list = json_array();

	if (state_each(add_one, list, &err) < 0)
		error_free(&err);
	return list;
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
		add_one(dir, &s, list);
		state_free(&s);
		free(dir);
	} else if (state_each(add_one, list, &err) < 0) {
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
