// SPDX-License-Identifier: MIT
/*
 * Mount: start the lazy lower, build the metadata layer from it,
 * mount the overlay at TARGET, record the state. Any failure undoes what
 * was done, so nothing stays mounted or running. An upper that detach
 * recorded as detached is mounted on its metadata layer alone, with no
 * lower. Every path is recorded absolute.
 */
#include <errno.h>
#include <libgen.h>
#include <libmount.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/fsutil.h"
#include "../common/private_dir.h"
#include "../common/util.h"
#include "../image/tree.h"
#include "../image/source.h"
#include "cache_dir.h"
#include "cache_trash.h"
#include "detached.h"
#include "exit_code.h"
#include "fan_probe.h"
#include "fan_spawn.h"
#include "lower.h"
#include "meta.h"
#include "mount.h"
#include "overlay.h"
#include "paths.h"
#include "shutdown.h"
#include "state.h"
#include "store.h"
#include "strategy.h"

/* Is DIR already the upper (or work) directory of a mounted overlay? */
static int upper_in_use(const char *dir)
{
	struct libmnt_table *tb = mnt_new_table();
	struct libmnt_iter *it = mnt_new_iter(MNT_ITER_FORWARD);
	struct libmnt_fs *fs;
	char *real = realpath(dir, NULL);
	int used = 0;

	if (!tb || !it || !real || mnt_table_parse_mtab(tb, NULL) != 0)
		goto out;
	while (!used && mnt_table_next_fs(tb, it, &fs) == 0) {
		const char *opts = mnt_fs_get_fs_options(fs);
		char *val = NULL;
		size_t len = 0;

		if (!opts || strcmp(mnt_fs_get_fstype(fs) ?: "", "overlay"))
			continue;
		if (mnt_optstr_get_option(opts, "upperdir", &val, &len) == 0 &&
		    len == strlen(real) && !strncmp(val, real, len))
			used = 1;
		if (mnt_optstr_get_option(opts, "workdir", &val, &len) == 0 &&
		    len == strlen(real) && !strncmp(val, real, len))
			used = 1;
	}
out:
	mnt_free_iter(it);
	mnt_unref_table(tb);
	free(real);
	return used;
}

/* ".NAME.KIND" beside DIR: on the upper's filesystem, as the design wants */
static char *beside(const char *dir, const char *name, const char *kind)
{
	char *copy = strdup(dir), *out = NULL;

	if (copy && asprintf(&out, "%s/.%s.%s", dirname(copy), name, kind) < 0)
		out = NULL;
	free(copy);
	return out;
}

static bool state_file_exists(const char *dir)
{
	char *p = path_join(dir, "state.json");
	bool yes = p && access(p, F_OK) == 0;

	free(p);
	return yes;
}

/* Open the source once here, so a bad one is one clear line, exit 2. */
static int check_source(const char *spec, struct error **err)
{
	/* only the syntax is checked here; the cache is chosen later */
	struct source_opts o = { .cache_dir = "-" };
	struct source *src;

	if (source_open(spec, &o, &src, err) < 0)
		return -1;
	source_close(src);
	return 0;
}

static int make_state_dir(const char *dir, struct mount_state *s,
			  struct error **err)
{
	char *copy = strdup(dir), *tmp = NULL;
	int ret = -1;

	if (!copy || asprintf(&tmp, "%s/.%s.new", dirname(copy), s->name) < 0) {
		tmp = NULL;
		error_set(err, ENOMEM, "state directory");
		goto out;
	}
	if (remove_tree(tmp, err) < 0)		/* left by a killed mount */
		goto out;
	if (mkdir(tmp, 0700) < 0) {
		error_set(err, errno, "create state directory %s", tmp);
		goto out;
	}
	if (state_save(tmp, s, err) < 0 || rename(tmp, dir) < 0) {
		struct error *ignored = NULL;

		if (!*err)
			error_set(err, errno, "create state directory %s", dir);
		remove_tree(tmp, &ignored);
		error_free(&ignored);
		goto out;
	}
	ret = 0;
out:
	free(copy);
	free(tmp);
	return ret;
}

static void undo_remove(const char *path)
{
	struct error *err = NULL;

	if (path && remove_tree(path, &err) < 0)
		error_report(&err, "ovlmig mount: undo", stderr);
}

/*
 * A detached upper: every file is in it, every directory's stack is in
 * META (datadir) or its directories are opaque (nofollow), so the
 * overlay needs no lower. The phase is "detached" from the
 * start: umount of a killed "mounting" deletes its metadata layer, and
 * this one is the upper's.
 */
static int mount_detached(struct mount_args *a, struct mount_state *s,
			  const char *strategy, const char *dir, int *code,
			  struct error **err)
{
	const struct strategy *st;

	*code = EXIT_FAILED;
	/* the strategy it was detached with: nofollow needs its kernel */
	if (strategy_choose(strategy, NULL, a->reprobe, &st, err) < 0) {
		*code = (*err)->errnum == EINVAL ? EXIT_USAGE : EXIT_KERNEL;
		return error_wrap(err, "detached upper %s", s->upper);
	}
	s->strategy = strdup(st->name);
	s->phase = PHASE_DETACHED;
	if (!s->strategy)
		return error_set(err, ENOMEM, "state");
	if (make_state_dir(dir, s, err) < 0)
		return -1;
	if (st->remount(s, dir, a->xino, err) < 0) {
		undo_remove(dir);
		return -1;
	}
	return 0;
}

/* The cache lowerfs fills, ovlmig's to delete at detach: see cache_dir.h. */
static int claim_cache(struct mount_state *s, enum cache_claim *how,
		       int *code, struct error **err)
{
	/* what a killed detach left of an earlier cache of this name */
	cache_trash_sweep(s->cache);
	if (cache_dir_claim(s->cache, how, err) == 0)
		return 0;
	if ((*err)->errnum == ENOTEMPTY || (*err)->errnum == EINVAL)
		*code = EXIT_USAGE;
	return -1;
}

static void undo_cache(const char *cache, enum cache_claim how)
{
	struct error *err = NULL;

	if (how != CACHE_REUSED && cache_dir_release(cache, &err) < 0)
		error_report(&err, "ovlmig mount: undo", stderr);
}

/*
 * What fills S's store: FILL if given (--fill; fanotify refused here
 * where it cannot work), else fanotify where it can (fan_probe.h), else
 * FUSE, the reason kept for status. S->fill "fanotify", or NULL and
 * S->fill_reason set.
 */
static int pick_fill(const char *fill, struct mount_state *s, struct error **err)
{
	const char *why = NULL;

	if (!fill) {
		why = fan_probe_options(s->lower_args);
		if (!why)
			why = fan_probe_store(s->store_root);
	} else if (!strcmp(fill, "fuse")) {
		why = "--fill fuse";
	} else if ((why = fan_probe_store(s->store_root))) {
		return error_set(err, EOPNOTSUPP,
				 "--fill fanotify: %s; it needs an image store on a filesystem of its own (--store)",
				 why);
	}
	if (why)
		s->fill_reason = strdup(why);
	else
		s->fill = strdup("fanotify");
	if (!s->fill && !s->fill_reason)
		return error_set(err, ENOMEM, "state");
	return 0;
}

static int do_mount(struct mount_args *a, struct mount_state *s,
		    const char *dir, int *code, struct error **err)
{
	enum cache_claim cache_how = CACHE_REUSED;
	const struct strategy_wish wish = { .source = a->source, .meta = a->meta };
	const struct strategy *st;
	bool meta_made = false, cache_claimed = false;

	*code = EXIT_FAILED;
	if (strategy_choose(a->strategy, &wish, a->reprobe, &st, err) < 0) {
		*code = (*err)->errnum == EINVAL ? EXIT_USAGE : EXIT_KERNEL;
		return -1;
	}
	s->strategy = strdup(st->name);
	if (!s->strategy)
		return error_set(err, ENOMEM, "state");
	if (!st->uses_meta) {
		if (a->meta) {
			*code = EXIT_USAGE;
			return error_set(err, EINVAL, "--meta: strategy %s has no metadata layer", st->name);
		}
		free(s->meta);
		s->meta = NULL;
	}
	if (!st->uses_store && a->store) {
		*code = EXIT_USAGE;
		return error_set(err, EINVAL, "--store: only strategy store keeps an image store");
	}
	if (st->uses_store && !a->source) {
		*code = EXIT_USAGE;
		return error_set(err, EINVAL, "strategy store reads the image itself: it needs --source");
	}
	if (a->fill && !st->uses_store) {
		*code = EXIT_USAGE;
		return error_set(err, EINVAL, "--fill: only strategy store fills an image store");
	}
	if (st->uses_store && !(s->store_root = store_root(a->store, err)))
		return -1;
	if (st->uses_store && pick_fill(a->fill, s, err) < 0)
		return -1;
	if (a->fill_range_min && !s->fill) {
		*code = EXIT_USAGE;
		return error_set(err, EINVAL, "--fill-range-min: only the fanotify fill fills by ranges");
	}
	s->fill_range_min = a->fill_range_min;
	if (s->meta && access(s->meta, F_OK) == 0 && dir_is_empty(s->meta) != 1)
		return error_set(err, ENOTEMPTY, "metadata layer %s", s->meta);
	if (a->source) {
		if (claim_cache(s, &cache_how, code, err) < 0)
			return -1;
		cache_claimed = true;
	}
	/*
	 * The state is written before anything is started, phase "mounting",
	 * so that `ovlmig umount` can take down what a killed mount left. The
	 * directory appears with its state.json in it (made under a hidden
	 * name, then renamed): a state directory never lacks its state.
	 */
	if (a->source) {
		s->lower = path_join(dir, "lower");
		s->own_lower = true;
	}
	s->phase = PHASE_MOUNTING;
	if (!s->lower)
		return error_set(err, ENOMEM, "state");
	if (make_state_dir(dir, s, err) < 0) {
		if (cache_claimed)
			undo_cache(s->cache, cache_how);
		return -1;
	}
	if (a->source && !st->starts_lower &&
	    (lower_start(s, dir, err) < 0 || state_save(dir, s, err) < 0))
		goto undo;
	meta_made = st->uses_meta;
	if (st->mount(s, dir_is_empty(s->upper) == 1, a->xino, err) < 0)
		goto undo;
	if (s->phase == PHASE_MOUNTING)
		s->phase = PHASE_LAZY;
	if (state_save(dir, s, err) < 0) {
		umount2(s->target, MNT_DETACH);
		goto undo;
	}
	return 0;
undo:
	lower_stop(s);
	fan_filler_stop(dir);
	undo_remove(meta_made ? s->meta : NULL);
	if (cache_claimed && s->cache)	/* a strategy may have let it go */
		undo_cache(s->cache, cache_how);
	undo_remove(dir);
	return -1;
}

/* The source and lower checks, for an upper that still needs its lower. */
static int check_lower(const struct mount_args *a, const char *source,
		       struct error **err)
{
	if (!a->source && !a->lower_mount)
		return error_set(err, EINVAL, "give one of --source and --lower-mount");
	if (a->source && check_source(source, err) < 0)
		return -1;
	if (a->lower_mount && is_mountpoint(a->lower_mount) != 1)
		return error_set(err, EINVAL, "--lower-mount %s: not a mountpoint", a->lower_mount);
	if (a->lower_mount && a->cache)
		return error_set(err, EINVAL, "--cache is lowerfs's: it needs --source, not --lower-mount");
	if (a->shutdown_lower && (!a->lower_mount || !lower_can_shutdown(a->lower_mount)))
		return error_set(err, EINVAL, "--shutdown-lower needs --lower-mount on XFS "
				 "(the only filesystem ovlmig can shut down)");
	return 0;
}

/*
 * S from the arguments, every path absolute. DETACHED: the record's
 * metadata layer (RMETA, taken over), no lower, no cache.
 */
static int fill_state(struct mount_args *a, struct mount_state *s,
		      const char *name, char **source, bool detached,
		      char **rmeta, char **rsource, struct error **err)
{
	s->name = strdup(name);
	s->target = realpath(a->target, NULL);
	s->upper = realpath(a->upper, NULL);
	s->work = realpath(a->work, NULL);
	if (!s->name || !s->target || !s->upper || !s->work)
		return error_set(err, errno ? errno : ENOMEM, "mount");
	s->meta = a->meta ? absolute_path(a->meta, err) : beside(s->upper, name, "meta");
	if (!s->meta)
		return *err ? error_wrap(err, "--meta") : error_set(err, ENOMEM, "mount");
	if (detached && !*rmeta) {
		/* nofollow: the upper holds everything */
		if (a->meta)
			return error_set(err, EINVAL, "upper %s was detached with no metadata layer: no --meta",
					 s->upper);
		free(s->meta);
		s->meta = NULL;
	}
	if (detached && *rmeta) {
		if (a->meta && strcmp(s->meta, *rmeta))
			return error_set(err, EINVAL, "upper %s was detached with metadata layer %s, not %s",
					 s->upper, *rmeta, s->meta);
		free(s->meta);
		s->meta = *rmeta;
		*rmeta = NULL;
	}
	if (detached) {
		if (*source) {
			s->source = *source;
			*source = NULL;
		} else {
			s->source = *rsource;
			*rsource = NULL;
		}
		return 0;
	}
	s->source = *source;
	*source = NULL;
	s->lower = a->lower_mount ? realpath(a->lower_mount, NULL) : NULL;
	if (a->lower_mount && !s->lower)
		return error_set(err, errno, "--lower-mount %s", a->lower_mount);
	if (a->cache && !(s->cache = absolute_path(a->cache, err)))
		return error_wrap(err, "--cache");
	if (!a->cache && a->source && !(s->cache = beside(s->upper, name, "cache")))
		return error_set(err, ENOMEM, "mount");
	s->shutdown_lower = a->shutdown_lower;
	s->lower_args = a->lower_args;	/* now the state's */
	a->lower_args = NULL;
	return 0;
}

int mount_run(struct mount_args *a, struct error **errp)
{
	struct mount_state s = { 0 };
	struct error *err = NULL;
	char *dir = NULL, *name = NULL, *upper = NULL, *source = NULL;
	char *rmeta = NULL, *rsource = NULL, *rstrategy = NULL;
	int code = EXIT_USAGE, detached = 0;
	struct stat st;

	if (stat(a->target, &st) < 0 || !S_ISDIR(st.st_mode)) {
		error_set(&err, errno ? errno : ENOTDIR, "target %s", a->target);
		goto fail;
	}
	/* an upper that detach recorded needs no lower: its image may be gone */
	upper = realpath(a->upper, NULL);
	if (upper && (detached = detached_record_find(upper, &rmeta, &rsource, &rstrategy, &err)) < 0)
		goto fail;
	if (a->source && !(source = source_absolute(a->source, &err))) {
		error_wrap(&err, "source %s", a->source);
		goto fail;
	}
	if (!detached && check_lower(a, source, &err) < 0)
		goto fail;
	if (make_dirs(a->upper, 0755, &err) < 0 || make_dirs(a->work, 0755, &err) < 0)
		goto fail;
	if (upper_in_use(a->upper) || upper_in_use(a->work)) {
		error_set(&err, EBUSY, "upper %s or work %s is already used by a mounted overlay",
			  a->upper, a->work);
		goto fail;
	}
	name = a->name ? strdup(a->name) : state_default_name(a->target);
	if (!name || !*name || strchr(name, '/') || name[0] == '.') {
		error_set(&err, EINVAL, "bad name '%s'", name ? name : "");
		goto fail;
	}
	if (make_dirs(state_root(), 0700, &err) < 0 ||
	    dir_check_private("state directory", state_root(), &err) < 0)
		goto fail;
	dir = state_dir(name);
	if (dir && access(dir, F_OK) == 0 && !state_file_exists(dir)) {
		/* a mount killed before it wrote anything: nothing to keep */
		if (remove_tree(dir, &err) < 0)
			goto fail;
	}
	if (!dir || access(dir, F_OK) == 0) {
		error_set(&err, EEXIST, "%s is already managed (state %s); ovlmig umount it first",
			  name, dir ? dir : "?");
		goto fail;
	}
	if (fill_state(a, &s, name, &source, detached, &rmeta, &rsource, &err) < 0)
		goto fail;
	/* what someone else plants there would reach the container */
	if ((s.meta && meta_check_private(s.meta, &err) < 0) ||
	    (s.cache && dir_check_private("cache directory", s.cache, &err) < 0))
		goto fail;
	if (detached) {
		if (mount_detached(a, &s, rstrategy, dir, &code, &err) < 0)
			goto fail;
		printf("%s: mounted detached upper %s %s (no lower; strategy %s, state %s)\n",
		       s.target, s.upper, s.store ? "on its image store" :
		       s.meta ? "on its metadata layer alone" : "alone",
		       s.strategy, dir);
	} else {
		if (do_mount(a, &s, dir, &code, &err) < 0)
			goto fail;
		if (s.own_lower)
			printf("%s: mounted (strategy %s, lowerfs pid %ld, state %s)\n",
			       s.target, s.strategy, s.lowerfs_pid, dir);
		else if (s.fill)
			printf("%s: mounted on image store %s, filled by fanotify (no lowerfs; strategy %s, state %s)\n",
			       s.target, s.store, s.strategy, dir);
		else if (!s.lower)
			printf("%s: mounted on its complete image store %s (no lowerfs; strategy %s, state %s)\n",
			       s.target, s.store, s.strategy, dir);
		else
			printf("%s: mounted (strategy %s, lower %s, state %s)\n",
			       s.target, s.strategy, s.lower, dir);
	}
	code = 0;
	goto out;
fail:
	error_wrap(&err, "mount %s", a->target);
	*errp = err;
out:
	state_free(&s);
	free(dir);
	free(name);
	free(upper);
	free(source);
	free(rmeta);
	free(rsource);
	free(rstrategy);
	return code;
}
