// SPDX-License-Identifier: MIT
#include "detached.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/fsutil.h"
#include "../common/util.h"
#include "cache_trash.h"

/* ".NAME.ovlmig-detached" beside UPPER, malloc'd; NULL (errno) if none can be. */
static char *record_path(const char *upper)
{
	char *dcopy = strdup(upper), *bcopy = strdup(upper), *out = NULL;
	const char *base;

	if (!dcopy || !bcopy)
		goto out;
	base = basename(bcopy);
	if (upper[0] != '/' || !strcmp(base, "/")) {
		errno = EINVAL;
		goto out;
	}
	if (asprintf(&out, "%s/.%s.ovlmig-detached", dirname(dcopy), base) < 0)
		out = NULL;
out:
	free(dcopy);
	free(bcopy);
	return out;
}

/*
 * "INO-SEC.NSEC": inode and birth time. A directory deleted and made again
 * at the same path has another (ext4 reuses inode numbers at once).
 */
static char *dir_identity(const char *path, struct error **err)
{
	struct statx stx;
	char *out = NULL;

	if (statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, STATX_INO | STATX_BTIME, &stx) < 0) {
		error_set(err, errno, "%s", path);
		return NULL;
	}
	if (!(stx.stx_mask & STATX_BTIME))
		stx.stx_btime.tv_sec = 0, stx.stx_btime.tv_nsec = 0;
	if (asprintf(&out, "%llu-%lld.%09u", (unsigned long long)stx.stx_ino,
		     (long long)stx.stx_btime.tv_sec, stx.stx_btime.tv_nsec) < 0) {
		out = NULL;
		error_set(err, ENOMEM, "%s", path);
	}
	return out;
}

int detached_record_write(const struct mount_state *s, struct error **err)
{
	char *path = record_path(s->upper), *uid = NULL, *mid = NULL, *text = NULL;
	json_t *doc = NULL;
	int ret = -1;

	if (!path) {
		error_set(err, errno, "detach record for upper %s", s->upper);
		goto out;
	}
	/* nofollow has no metadata layer: its upper is complete alone */
	uid = dir_identity(s->upper, err);
	mid = uid && s->meta ? dir_identity(s->meta, err) : NULL;
	if (!uid || (s->meta && !mid))
		goto wrap;
	doc = json_pack("{s:s, s:s, s:s?, s:s?, s:s?, s:s}", "upper", s->upper, "upper_id", uid,
			"meta", s->meta, "meta_id", mid, "source", s->source,
			"strategy", s->strategy);
	text = doc ? json_dumps(doc, JSON_INDENT(2)) : NULL;
	if (!text) {
		error_set(err, ENOMEM, "detach record");
		goto wrap;
	}
	/* durably: a record lost in a crash would make the upper look like
	 * one that was never detached */
	if (file_replace_bytes(path, 0600, FILE_DURABLE, text, strlen(text), err) < 0)
		goto wrap;
	ret = 0;
	goto out;
wrap:
	error_wrap(err, "detach record %s", path);
out:
	json_decref(doc);
	free(text);
	free(uid);
	free(mid);
	free(path);
	return ret;
}

static const char *field(json_t *doc, const char *key)
{
	return json_string_value(json_object_get(doc, key));
}

int detached_record_find(const char *upper, char **meta, char **source,
			 char **strategy, struct error **err)
{
	char *path = record_path(upper), *uid = NULL, *mid = NULL;
	const char *rmeta, *rstrategy;
	json_error_t jerr;
	json_t *doc = NULL;
	int ret = -1;

	*meta = *source = *strategy = NULL;
	if (!path)
		return error_set(err, errno, "detach record for upper %s", upper);
	if (access(path, F_OK) < 0) {
		ret = errno == ENOENT ? 0 : error_set(err, errno, "%s", path);
		goto out;
	}
	doc = json_load_file(path, 0, &jerr);
	if (!doc) {
		error_set(err, EINVAL, "detach record %s: %s", path, jerr.text);
		goto out;
	}
	rmeta = field(doc, "meta");
	/* records written before strategies were recorded are datadir's */
	rstrategy = field(doc, "strategy") ? field(doc, "strategy") : "datadir";
	if (!field(doc, "upper") || !field(doc, "upper_id") ||
	    (strcmp(rstrategy, "nofollow") &&
	     (!rmeta || !field(doc, "meta_id") || rmeta[0] != '/'))) {
		error_set(err, EINVAL, "detach record %s: missing fields", path);
		goto out;
	}
	uid = dir_identity(upper, err);
	if (!uid)
		goto out;
	if (strcmp(field(doc, "upper"), upper) || strcmp(field(doc, "upper_id"), uid)) {
		ret = 0;	/* about an upper that was here before */
		goto out;
	}
	*strategy = strdup(rstrategy);
	if (!*strategy) {
		error_set(err, ENOMEM, "%s", path);
		goto out;
	}
	if (!rmeta) {
		ret = 1;	/* nofollow: the upper alone */
		goto out;
	}
	/* the upper is the detached one: it needs its own metadata layer */
	mid = dir_identity(rmeta, err);
	if (!mid) {
		error_wrap(err, "metadata layer of detached upper %s (record %s)", upper, path);
		goto out;
	}
	if (strcmp(field(doc, "meta_id"), mid)) {
		error_set(err, ESTALE, "metadata layer %s is not the one upper %s was detached with (record %s)",
			  rmeta, upper, path);
		goto out;
	}
	*meta = strdup(rmeta);
	*source = field(doc, "source") ? strdup(field(doc, "source")) : NULL;
	if (!*meta || (field(doc, "source") && !*source)) {
		free(*meta);
		free(*source);
		*meta = *source = NULL;
		error_set(err, ENOMEM, "%s", path);
		goto out;
	}
	ret = 1;
out:
	if (ret != 1) {
		free(*strategy);
		*strategy = NULL;
	}
	json_decref(doc);
	free(uid);
	free(mid);
	free(path);
	return ret;
}

int detached_finish(const char *state_dir, struct mount_state *s,
		    struct error **err)
{
	if (s->cache) {
		struct error *e2 = NULL;

		/* only what ovlmig made: never a directory a user gave */
		/* out of the way now, deleted in the background: see cache_trash.h */
		int r = cache_dir_release_later(s->cache, &e2);

		if (r < 0)
			error_report(&e2, "ovlmig detach: delete cache", stderr);
		else if (r > 0)
			fprintf(stderr, "ovlmig detach: cache %s left: another mount's lowerfs or "
				"fanotify filler serves from it (a mount given the same --cache); "
				"the detach of the last one deletes it\n", s->cache);
	}
	/* a later mount of this upper needs no lower (after a reboot too) */
	if (detached_record_write(s, err) < 0)
		return -1;
	s->phase = PHASE_DETACHED;
	s->lowerfs_pid = 0;
	return state_save(state_dir, s, err);
}
