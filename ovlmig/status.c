// SPDX-License-Identifier: MIT
/*
 * The status of a managed mount as JSON (status.h).
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/fsutil.h"
#include "../common/util.h"
#include "../control/control.h"
#include "lowerfs_exec.h"
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

json_t *status_json(const char *dir, const struct mount_state *s)
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

static int add_one(const char *dir, struct mount_state *s, void *arg)
{
	json_array_append_new(arg, status_json(dir, s));
	return 0;
}

int status_all(json_t *list, struct error **err)
{
	return state_each(add_one, list, err);
}
