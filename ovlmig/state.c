// SPDX-License-Identifier: MIT
#include "state.h"

#include <dirent.h>
#include <stddef.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../common/json_file.h"
#include "../common/util.h"

#define STATE_FILE "state.json"

const char *state_root(void)
{
	const char *env = getenv("OVLMIG_RUN_DIR");

	return env && *env ? env : "/run/ovlmig";
}

char *state_dir(const char *name)
{
	return path_join(state_root(), name);
}

char *state_default_name(const char *target)
{
	char *real = realpath(target, NULL), *p, *out;

	if (!real)
		return NULL;
	for (p = real; *p; p++)
		if (*p == '/')
			*p = '-';
	out = strdup(real[1] ? real + 1 : "root");
	free(real);
	return out;
}

static int save_args(json_t *doc, char **args)
{
	json_t *a = json_array();

	for (; a && *args; args++)
		if (json_array_append_new(a, json_string(*args)) < 0) {
			json_decref(a);
			return -1;
		}
	return a ? json_object_set_new(doc, "lower_args", a) : -1;
}

/* A NULL-terminated copy of the strings of array A; NULL when absent. */
static int load_args(json_t *a, char ***out)
{
	size_t i, n = json_array_size(a);
	char **args;

	*out = NULL;
	if (!json_is_array(a))
		return 0;
	args = calloc(n + 1, sizeof(*args));
	if (!args)
		return -1;
	for (i = 0; i < n; i++) {
		const char *v = json_string_value(json_array_get(a, i));

		if (!v || !(args[i] = strdup(v))) {
			state_free_args(args);
			return -1;
		}
	}
	*out = args;
	return 0;
}

void state_free_args(char **args)
{
	char **p;

	for (p = args; p && *p; p++)
		free(*p);
	free(args);
}

/*
 * The string fields of state.json, each named once: saved, loaded and
 * freed through this table. An absent one is refused (NEEDED), written
 * as null (NULLABLE) or left out (OPTIONAL: the store's and the fill's,
 * so other states stay as they were).
 */
enum field_kind { FIELD_NEEDED, FIELD_NULLABLE, FIELD_OPTIONAL };

static const struct string_field {
	const char *key;
	size_t off;
	enum field_kind kind;
} string_fields[] = {
	{ "name", offsetof(struct mount_state, name), FIELD_NEEDED },
	{ "target", offsetof(struct mount_state, target), FIELD_NEEDED },
	{ "strategy", offsetof(struct mount_state, strategy), FIELD_NEEDED },
	{ "source", offsetof(struct mount_state, source), FIELD_NULLABLE },
	{ "lower", offsetof(struct mount_state, lower), FIELD_NULLABLE },
	{ "upper", offsetof(struct mount_state, upper), FIELD_NEEDED },
	{ "work", offsetof(struct mount_state, work), FIELD_NEEDED },
	{ "meta", offsetof(struct mount_state, meta), FIELD_NULLABLE },
	{ "cache", offsetof(struct mount_state, cache), FIELD_NULLABLE },
	{ "store_root", offsetof(struct mount_state, store_root), FIELD_OPTIONAL },
	{ "store", offsetof(struct mount_state, store), FIELD_OPTIONAL },
	{ "fill", offsetof(struct mount_state, fill), FIELD_OPTIONAL },
	{ "fill_reason", offsetof(struct mount_state, fill_reason), FIELD_OPTIONAL },
};

static char **field(struct mount_state *s, const struct string_field *f)
{
	return (char **)((char *)s + f->off);
}

static const char *field_value(const struct mount_state *s,
			       const struct string_field *f)
{
	return *(char *const *)((const char *)s + f->off);
}

static json_t *encode_state(const struct mount_state *s, const char *dir,
			    struct error **err)
{
	json_t *doc = json_pack("{s:b, s:b, s:s, s:I}",
				"own_lower", s->own_lower,
				"shutdown_lower", s->shutdown_lower,
				"phase", phase_name(s->phase),
				"lowerfs_pid", (json_int_t)s->lowerfs_pid);
	size_t i;

	if (!doc) {
		error_set(err, ENOMEM, "save state in %s", dir);
		return NULL;
	}
	for (i = 0; i < ARRAY_SIZE(string_fields); i++) {
		const struct string_field *f = &string_fields[i];
		const char *v = field_value(s, f);

		if (!v && f->kind == FIELD_OPTIONAL)
			continue;
		if (!v && f->kind == FIELD_NEEDED) {
			error_set(err, EINVAL, "save state in %s: no %s", dir, f->key);
			goto fail;
		}
		/* json_string() refuses what is not UTF-8 */
		if (json_object_set_new(doc, f->key, v ? json_string(v) : json_null()) < 0) {
			error_set(err, EINVAL, "save state in %s: %s", dir, f->key);
			goto fail;
		}
	}
	if ((s->fill_range_min &&
	     json_object_set_new(doc, "fill_range_min",
				 json_integer((json_int_t)s->fill_range_min)) < 0) ||
	    (s->lower_args && save_args(doc, s->lower_args) < 0)) {
		error_set(err, ENOMEM, "save state in %s", dir);
		goto fail;
	}
	return doc;
fail:
	json_decref(doc);
	return NULL;
}

int state_save(const char *dir, const struct mount_state *s, struct error **err)
{
	char *path = path_join(dir, STATE_FILE);
	json_t *doc;
	int ret;

	if (!path)
		return error_set(err, ENOMEM, "save state in %s", dir);
	doc = encode_state(s, dir, err);
	ret = doc ? json_file_replace(path, doc, JSON_INDENT(2), 0, err) : -1;
	json_decref(doc);
	free(path);
	return ret;
}

static char *dup_field(json_t *doc, const char *key)
{
	json_t *v = json_object_get(doc, key);

	return json_is_string(v) ? strdup(json_string_value(v)) : NULL;
}

int state_load(const char *dir, struct mount_state *s, struct error **err)
{
	char *path = path_join(dir, STATE_FILE);
	json_error_t jerr;
	bool bad_phase;
	json_t *doc;
	size_t i;

	memset(s, 0, sizeof(*s));
	if (!path)
		return error_set(err, ENOMEM, "state of %s", dir);
	doc = json_load_file(path, 0, &jerr);
	if (!doc) {
		if (access(path, F_OK) < 0)
			error_set(err, errno, "read %s", path);
		else
			error_set(err, EINVAL, "read %s: %s", path, jerr.text);
		free(path);
		return -1;
	}
	for (i = 0; i < ARRAY_SIZE(string_fields); i++)
		*field(s, &string_fields[i]) = dup_field(doc, string_fields[i].key);
	if (json_integer_value(json_object_get(doc, "fill_range_min")) > 0)
		s->fill_range_min = (uint64_t)json_integer_value(json_object_get(doc, "fill_range_min"));
	bad_phase = phase_parse(json_string_value(json_object_get(doc, "phase")),
				&s->phase) < 0;
	s->own_lower = json_is_true(json_object_get(doc, "own_lower"));
	s->shutdown_lower = json_is_true(json_object_get(doc, "shutdown_lower"));
	s->lowerfs_pid = (long)json_integer_value(json_object_get(doc, "lowerfs_pid"));
	if (load_args(json_object_get(doc, "lower_args"), &s->lower_args) < 0) {
		json_decref(doc);
		state_free(s);
		error_set(err, ENOMEM, "read %s", path);
		free(path);
		return -1;
	}
	json_decref(doc);
	/* a detached upper mounted again has no lower at all, nor a store
	 * filled by fanotify */
	if (!s->name || !s->target || !s->strategy || !s->upper || !s->work ||
	    bad_phase || (!s->lower && s->phase != PHASE_DETACHED && !s->fill)) {
		state_free(s);
		error_set(err, EINVAL, "%s: missing fields", path);
		free(path);
		return -1;
	}
	free(path);
	return 0;
}

void state_free(struct mount_state *s)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(string_fields); i++)
		free(*field(s, &string_fields[i]));
	state_free_args(s->lower_args);
	memset(s, 0, sizeof(*s));
}

int state_each(int (*fn)(const char *dir, struct mount_state *s, void *arg),
	       void *arg, struct error **err)
{
	DIR *d = opendir(state_root());
	struct dirent *de;
	int ret = 0;

	if (!d)
		return errno == ENOENT ? 0 :
		       error_set(err, errno, "read %s", state_root());
	while (ret == 0 && (de = readdir(d))) {
		struct mount_state s;
		struct error *ignored = NULL;
		char *dir;

		if (de->d_name[0] == '.')
			continue;
		dir = state_dir(de->d_name);
		if (!dir) {
			ret = error_set(err, ENOMEM, "state");
			break;
		}
		if (state_load(dir, &s, &ignored) == 0) {
			ret = fn(dir, &s, arg);
			state_free(&s);
		}
		error_free(&ignored);	/* not a managed mount: skip */
		free(dir);
	}
	closedir(d);
	return ret;
}

struct find_arg {
	const char *target;
	char **dir;
	struct mount_state *out;
	bool found;
};

static int match_target(const char *dir, struct mount_state *s, void *arg)
{
	struct find_arg *f = arg;

	if (strcmp(s->target, f->target))
		return 0;
	*f->dir = strdup(dir);
	*f->out = *s;
	memset(s, 0, sizeof(*s));	/* ownership moves to the caller */
	f->found = true;
	return 1;
}

int state_find(const char *target, char **dir, struct mount_state *s,
	       struct error **err)
{
	char *real = realpath(target, NULL);
	struct find_arg f = { .dir = dir, .out = s };

	/* a target removed by hand: its stale state is found by the path */
	if (!real && errno == ENOENT && target[0] == '/')
		real = strdup(target);
	if (!real)
		return error_set(err, errno ? errno : ENOMEM, "%s", target);
	f.target = real;
	if (state_each(match_target, &f, err) < 0) {
		free(real);
		return -1;
	}
	free(real);
	if (!f.found)
		return error_set(err, 0, "%s is not an ovlmig mount", target);
	return 0;
}

static int state_lock(const char *dir, struct error **err)
{
	char *path = path_join(dir, "lock");
	int fd;

	if (!path)
		return error_set(err, ENOMEM, "lock %s", dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	free(path);
	if (fd < 0)
		return error_set(err, errno, "lock %s", dir);
	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			error_set(err, errno, "lock %s", dir);
			close(fd);
			return -1;
		}
	}
	return fd;
}

/* after taking the lock: the phase may have moved */
static int state_reload(const char *dir, struct mount_state *s,
			struct error **err)
{
	struct mount_state fresh;

	if (state_load(dir, &fresh, err) < 0)
		return -1;
	state_free(s);
	*s = fresh;
	return 0;
}

int state_set_phase(const char *dir, struct mount_state *s, enum phase phase,
		    struct error **err)
{
	s->phase = phase;
	return state_save(dir, s, err);
}

int state_run_locked(const char *dir, struct mount_state *s,
		     state_locked_fn *fn, void *arg, struct error **err)
{
	int lock = state_lock(dir, err), ret = -1;

	if (lock < 0)
		return -1;
	if (state_reload(dir, s, err) == 0)
		ret = fn(dir, s, arg, err);
	close(lock);	/* after FN: umount removes DIR, the lock with it */
	return ret;
}
