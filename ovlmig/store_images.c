// SPDX-License-Identifier: MIT
#include "store_images.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/fsutil.h"
#include "../common/util.h"
#include "state.h"
#include "store.h"
#include "store_uppers.h"

#define TRASH_PREFIX ".gc-"

/* Is NAME an image's directory ("sha256-...", never a trash name)? */
static bool image_name(const char *name)
{
	return !strncmp(name, "sha256-", 7);
}

struct user_scan {
	struct stat dir;	/* the image's directory */
	json_t *targets;
};

/* The same directory, however its path was spelled. */
static bool same_dir(const char *path, const struct stat *st)
{
	struct stat other;

	return path && stat(path, &other) == 0 && other.st_dev == st->st_dev &&
	       other.st_ino == st->st_ino;
}

static int add_user(const char *dir, struct mount_state *s, void *arg)
{
	struct user_scan *u = arg;

	(void)dir;
	if (s->strategy && !strcmp(s->strategy, "store") && same_dir(s->store, &u->dir))
		return json_array_append_new(u->targets, json_string(s->target));
	return 0;
}

/* The targets of the managed mounts that use image directory PATH. */
static json_t *users_of(const char *path, struct error **err)
{
	struct user_scan u = { .targets = json_array() };

	if (!u.targets) {
		error_set(err, ENOMEM, "users of %s", path);
		return NULL;
	}
	if (stat(path, &u.dir) < 0) {
		error_set(err, errno, "%s", path);
		goto fail;
	}
	if (state_each(add_user, &u, err) < 0) {
		if (!*err)
			error_set(err, ENOMEM, "users of %s", path);
		goto fail;
	}
	return u.targets;
fail:
	json_decref(u.targets);
	return NULL;
}

struct other_scan {
	struct stat root;	/* the store root; st_ino 0 if it does not exist */
	json_t *mounts;
};

static int add_other(const char *dir, struct mount_state *s, void *arg)
{
	struct other_scan *o = arg;

	(void)dir;
	if (s->strategy && !strcmp(s->strategy, "store") && o->root.st_ino &&
	    same_dir(s->store_root, &o->root))
		return 0;
	return json_array_append_new(o->mounts, json_pack("{s:s, s:s}",
				     "target", s->target ? s->target : "?",
				     "strategy", s->strategy ? s->strategy : "?"));
}

json_t *store_other_mounts(const char *root, struct error **err)
{
	struct other_scan o = { .mounts = json_array() };

	if (!o.mounts) {
		error_set(err, ENOMEM, "mounts");
		return NULL;
	}
	if (stat(root, &o.root) < 0)
		o.root.st_ino = 0;
	if (state_each(add_other, &o, err) < 0) {
		if (!*err)
			error_set(err, ENOMEM, "mounts");
		json_decref(o.mounts);
		return NULL;
	}
	return o.mounts;
}

/* The references that mounted it; an image from before they were kept: its source. */
static json_t *references(const char *path, json_t *info)
{
	json_t *refs = store_refs(path), *source = json_object_get(info, "source");

	if (refs)
		return refs;
	return json_is_string(source) ? json_pack("[O]", source) : json_array();
}

static json_t *describe(const char *root, const char *name, struct error **err)
{
	char *path = path_join(root, name);
	json_t *info = path ? store_info(path) : NULL, *users = NULL, *uppers = NULL;
	json_t *refs = NULL, *out = NULL;

	if (!path) {
		error_set(err, ENOMEM, "%s", root);
		return NULL;
	}
	users = users_of(path, err);
	if (users)
		uppers = store_uppers(path, err);
	if (uppers && !(refs = references(path, info)))
		error_set(err, ENOMEM, "%s", path);
	if (refs) {
		out = json_pack("{s:s, s:s, s:O?, s:O?, s:O, s:O?, s:O?, s:s, s:O, s:O}",
				"id", name, "dir", path,
				"digest", json_object_get(info, "digest"),
				"source", json_object_get(info, "source"),
				"references", refs,
				"size", json_object_get(info, "size"),
				"files", json_object_get(info, "files"),
				"state", json_string_value(json_object_get(info, "state")) ?: "broken",
				"users", users, "containers", uppers);
		if (!out)
			error_set(err, ENOMEM, "%s", path);
	}
	json_decref(users);
	json_decref(uppers);
	json_decref(refs);
	json_decref(info);
	free(path);
	return out;
}

/* The image names under ROOT, sorted; an absent ROOT has none. */
static int image_names(const char *root, char ***names, size_t *n,
		       struct error **err)
{
	int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC), ret;

	*names = NULL;
	*n = 0;
	if (fd < 0)
		return errno == ENOENT ? 0 : error_set(err, errno, "open %s", root);
	ret = dir_names(fd, root, names, n, err);
	close(fd);
	return ret;
}

json_t *store_images(const char *root, struct error **err)
{
	json_t *list = json_array(), *one;
	char **names = NULL;
	size_t n = 0, i;

	if (!list || image_names(root, &names, &n, err) < 0) {
		if (list && !*err)
			error_set(err, ENOMEM, "%s", root);
		json_decref(list);
		return NULL;
	}
	for (i = 0; list && i < n; i++) {
		if (!image_name(names[i]))
			continue;
		one = describe(root, names[i], err);
		if (!one || json_array_append_new(list, one) < 0) {
			json_decref(list);
			list = NULL;
		}
	}
	dir_names_free(names, n);
	return list;
}

static int note(json_t *list, const char *id, const char *why,
		struct error **err)
{
	if (json_array_append_new(list, json_pack("{s:s, s:s}", "id", id, "why", why)) < 0)
		return error_set(err, ENOMEM, "gc %s", id);
	return 0;
}

/* Unused and unlocked: renamed away under the lock, then removed. */
static int collect_one(const char *root, const char *name, json_t *removed,
		       json_t *kept, struct error **err)
{
	char *path = path_join(root, name), *trash = NULL;
	json_t *users = NULL, *uppers = NULL;
	int fd = -1, ret = -1, rc;

	if (!path || asprintf(&trash, "%s/%s%s", root, TRASH_PREFIX, name) < 0) {
		trash = NULL;
		error_set(err, ENOMEM, "gc %s", root);
		goto out;
	}
	/* a mount or fill holds it shared from before its state names it */
	rc = store_use_lock(path, true, &fd, err);
	if (rc < 0)
		goto out;
	if (rc == 1) {
		ret = note(kept, name, "being mounted or filled", err);
		goto out;
	}
	users = users_of(path, err);
	if (!users)
		goto out;
	if (json_array_size(users)) {
		ret = note(kept, name, "in use", err);
		goto out;
	}
	/* unmounted containers whose uppers are built on it */
	uppers = store_uppers(path, err);
	if (!uppers)
		goto out;
	if (json_array_size(uppers)) {
		char *why = NULL;

		if (asprintf(&why, "needed by the container upper %s%s",
			     json_string_value(json_array_get(uppers, 0)),
			     json_array_size(uppers) > 1 ? " and others" : "") < 0)
			ret = error_set(err, ENOMEM, "gc %s", name);
		else
			ret = note(kept, name, why, err);
		free(why);
		goto out;
	}
	if (rename(path, trash) < 0) {
		error_set(err, errno, "rename %s to %s", path, trash);
		goto out;
	}
	ret = remove_tree(trash, err) < 0 ? -1 : note(removed, name, "unused", err);
out:
	if (fd >= 0)
		close(fd);
	json_decref(users);
	json_decref(uppers);
	free(path);
	free(trash);
	return ret;
}

int store_gc(const char *root, json_t **removed, json_t **kept,
	     struct error **err)
{
	char **names = NULL, *trash;
	size_t n = 0, i;
	int ret = 0;

	*removed = json_array();
	*kept = json_array();
	if (!*removed || !*kept || image_names(root, &names, &n, err) < 0) {
		if (!*err)
			error_set(err, ENOMEM, "gc %s", root);
		ret = -1;
	}
	for (i = 0; ret == 0 && i < n; i++) {
		if (!strncmp(names[i], TRASH_PREFIX, strlen(TRASH_PREFIX))) {
			/* what a gc killed half-way through removing left */
			trash = path_join(root, names[i]);
			ret = trash ? remove_tree(trash, err) :
				      error_set(err, ENOMEM, "gc %s", root);
			free(trash);
		} else if (image_name(names[i])) {
			ret = collect_one(root, names[i], *removed, *kept, err);
		}
	}
	dir_names_free(names, n);
	if (ret < 0) {
		json_decref(*removed);
		json_decref(*kept);
		*removed = *kept = NULL;
	}
	return ret;
}
