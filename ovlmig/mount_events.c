// SPDX-License-Identifier: MIT
#include "mount_events.h"

#include <errno.h>
#include <stdlib.h>

#include "../common/json_file.h"
#include "../common/util.h"
#include "strategy.h"

#define RESTARTS_FILE "restarts.json"
#define DETACHES_FILE "detaches.json"

/* STATE_DIR/NAME as an object; an empty one when absent or unreadable. */
static json_t *load(const char *state_dir, const char *name)
{
	json_t *doc = json_file_load(state_dir, name, JSON_OBJECT);

	return doc ? doc : json_object();
}

static void save(const char *state_dir, const char *name, json_t *doc)
{
	char *path = path_join(state_dir, name);
	struct error *err = NULL;

	if (!path)
		error_set(&err, ENOMEM, "%s", name);
	else if (json_file_replace(path, doc, JSON_COMPACT, 0, &err) < 0)
		error_wrap(&err, "%s", path);
	if (err) {
		log_line("ovlmig", "metrics: %s", err->msg);
		error_free(&err);
	}
	free(path);
}

/* DOC[KEY] += BY (an integer) */
static int add(json_t *doc, const char *key, json_int_t by)
{
	json_int_t n = json_integer_value(json_object_get(doc, key));

	return json_object_set_new(doc, key, json_integer(n + by));
}

void events_lowerfs_restarted(const char *state_dir)
{
	json_t *doc = load(state_dir, RESTARTS_FILE);

	if (doc && add(doc, EVENTS_LOWERFS_RESTARTS, 1) == 0)
		save(state_dir, RESTARTS_FILE, doc);
	json_decref(doc);
}

int events_detach(const struct strategy *st, const char *dir,
		  struct mount_state *s, bool wait, struct error **err)
{
	bool was_detached = s->phase == PHASE_DETACHED;
	uint64_t start = now_ns();
	int ret = st->detach(dir, s, wait, err);
	double seconds = (double)(now_ns() - start) / 1e9;
	json_t *doc;

	if (was_detached)
		return ret;
	doc = load(dir, DETACHES_FILE);
	if (!doc)
		return ret;
	if (ret < 0) {
		add(doc, *err && (*err)->errnum == EAGAIN ? EVENTS_DETACHES_REFUSED :
			 EVENTS_DETACHES_FAILED, 1);
	} else if (add(doc, EVENTS_DETACHES_OK, 1) < 0 ||
		   json_object_set_new(doc, EVENTS_DETACH_SECONDS_LAST, json_real(seconds)) < 0 ||
		   json_object_set_new(doc, EVENTS_DETACH_SECONDS_SUM, json_real(
			json_number_value(json_object_get(doc, EVENTS_DETACH_SECONDS_SUM)) +
			seconds)) < 0) {
		json_decref(doc);
		return ret;
	}
	save(dir, DETACHES_FILE, doc);
	json_decref(doc);
	return ret;
}

json_t *events_read(const char *state_dir)
{
	json_t *restarts = load(state_dir, RESTARTS_FILE);
	json_int_t n = json_integer_value(json_object_get(restarts,
							  EVENTS_LOWERFS_RESTARTS));

	json_decref(restarts);
	return json_pack("{s:I, s:o*}", EVENTS_LOWERFS_RESTARTS, n,
			 EVENTS_DETACHES, load(state_dir, DETACHES_FILE));
}
