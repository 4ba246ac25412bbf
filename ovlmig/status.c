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
#include "fan_spawn.h"
#include "keeper.h"
#include "lower.h"
#include "state.h"
#include "progress.h"
#include "status.h"
#include "status_keys.h"

/*
 * Why the lower of S cannot serve the overlay any more, or NULL. A lowerfs
 * that died while its keeper runs is being restarted: readers wait.
 */
static const char *lower_problem(const char *dir, const struct mount_state *s,
				 bool alive)
{
	if (alive || s->phase == PHASE_DETACHED || s->phase == PHASE_MOUNTING)
		return NULL;
	if (s->fill)
		return "the fanotify filler is gone (see filler.log): files not filled yet read short";
	if (!s->own_lower)
		return "the lower is not mounted: files not migrated yet cannot be read";
	if (keeper_alive(dir))
		return NULL;
	return "lowerfs is gone and no keeper restarts it (see keeper.log): "
	       "files not migrated yet cannot be read (ENOTCONN)";
}

/*
 * Why the state of S is a leftover, or NULL: its target is not mounted
 * any more (unmounted by hand, or its directories removed) although no
 * `ovlmig umount` came. While mounting, the target is not mounted yet.
 */
static const char *stale_reason(const struct mount_state *s, bool mounted)
{
	if (mounted || s->phase == PHASE_MOUNTING)
		return NULL;
	return "the target is not mounted any more; `ovlmig umount TARGET` or `ovlmig gc` removes this state";
}

/* The source's reachability and fetch errors from lowerfs' STATS. */
static json_t *source_state(json_t *stats)
{
	json_t *o;

	if (!json_object_get(stats, CONTROL_KEY_SOURCE_REACHABLE))
		return NULL;	/* an older lowerfs */
	o = json_pack("{s:O, s:O, s:O, s:O, s:O, s:O}",
		      SOURCE_REACHABLE, json_object_get(stats, CONTROL_KEY_SOURCE_REACHABLE),
		      SOURCE_UNREACHABLE_FOR, json_object_get(stats, CONTROL_KEY_UNREACHABLE_FOR),
		      SOURCE_UNREACHABLE_SINCE, json_object_get(stats, CONTROL_KEY_UNREACHABLE_SINCE),
		      SOURCE_FETCH_GRACE, json_object_get(stats, CONTROL_KEY_FETCH_GRACE),
		      SOURCE_ERRORS_TRANSIENT, json_object_get(stats, CONTROL_KEY_FETCH_ERRORS_TRANSIENT),
		      SOURCE_ERRORS_PERMANENT, json_object_get(stats, CONTROL_KEY_FETCH_ERRORS_PERMANENT));
	if (o && json_object_get(stats, CONTROL_KEY_LAST_FETCH_ERROR) &&
	    json_object_set(o, SOURCE_LAST_ERROR,
			    json_object_get(stats, CONTROL_KEY_LAST_FETCH_ERROR)) < 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/*
 * What fills a store mount's image until it is detached (after that,
 * or for an image complete at mount, nothing does), and why FUSE.
 */
static void add_fill(json_t *doc, const struct mount_state *s)
{
	if (!s->store || s->phase == PHASE_DETACHED)
		return;
	json_object_set_new(doc, STATUS_FILL, json_string(s->fill ? s->fill : "fuse"));
	if (s->fill_reason)
		json_object_set_new(doc, STATUS_FILL_REASON, json_string(s->fill_reason));
}

json_t *status_json(const char *dir, const struct mount_state *s)
{
	struct error *err = NULL;
	char *run = lower_run_dir(dir);
	json_t *stats = NULL, *doc;
	const char *problem, *stale;
	bool mounted = is_mountpoint(s->target) == 1;
	/* a mount given with --lower-mount stays attached until detach;
	 * a store filled by fanotify is served by its filler until then */
	int alive = s->own_lower ? lower_alive(s) :
		    s->phase == PHASE_DETACHED ? 0 :
		    s->fill ? fan_filler_alive(dir) : is_mountpoint(s->lower) == 1;

	if (alive && run && s->own_lower)
		stats = control_stats(run, &err);
	doc = json_pack("{s:s, s:s, s:s, s:s, s:s?, s:s, s:b, s:b, s:I, s:o*}",
			STATUS_NAME, s->name, STATUS_TARGET, s->target,
			STATUS_STRATEGY, s->strategy,
			STATUS_PHASE, phase_name(s->phase),
			STATUS_SOURCE, s->source, STATUS_UPPER, s->upper,
			STATUS_MOUNTED, mounted,
			STATUS_LOWER_ATTACHED, alive,
			STATUS_LOWERFS_PID,
			(json_int_t)(alive && s->own_lower ? lowerfs_pid(s) : 0),
			STATUS_LOWERFS, stats);
	if (err) {
		json_object_set_new(doc, STATUS_LOWERFS_ERROR, json_string(err->msg));
		error_free(&err);
	}
	stale = stale_reason(s, mounted);
	if (stale)
		json_object_set_new(doc, STATUS_STALE, json_string(stale));
	/* a leftover has no lower to serve it: stale says all */
	problem = stale ? NULL : lower_problem(dir, s, alive);
	if (problem)
		json_object_set_new(doc, STATUS_ERROR, json_string(problem));
	json_object_set_new(doc, STATUS_PROGRESS, progress_read(dir));
	if (stats) {
		json_t *src = source_state(stats);

		if (src)
			json_object_set_new(doc, STATUS_SOURCE_STATE, src);
	}
	if (s->store)
		json_object_set_new(doc, STATUS_STORE, json_string(s->store));
	add_fill(doc, s);
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
