// SPDX-License-Identifier: MIT
#include "strategy.h"

#include <errno.h>
#include <string.h>

#include "../common/util.h"
#include "probe_cache.h"

/*
 * In order of preference: auto takes the first one the kernel can run.
 * nofollow exists only on a kernel with our patch (kernel/), which was
 * built for it. store is the default everywhere else that has what it
 * needs (data-only layers and FUSE passthrough) and is given an image
 * (--source): one copy per image, shared. datadir is the fallback: a
 * kernel without passthrough, a --lower-mount, a --meta of the mount's own.
 */
static const struct strategy *const strategies[] = {
	&strategy_nofollow,
	&strategy_store,
	&strategy_datadir,
};

const struct strategy *strategy_find(const char *name)
{
	size_t i;

	for (i = 0; name && i < ARRAY_SIZE(strategies); i++)
		if (!strcmp(strategies[i]->name, name))
			return strategies[i];
	return NULL;
}

const struct strategy *strategy_of(const struct mount_state *s,
				   struct error **err)
{
	const struct strategy *st = strategy_find(s->strategy);

	if (!st)
		error_set(err, EINVAL, "%s: unknown strategy '%s' in its state",
			  s->target, s->strategy ? s->strategy : "");
	return st;
}

/* Does the mount ask for something ST cannot give? */
static bool ruled_out(const struct strategy *st, const struct strategy_wish *w)
{
	return w && ((st->needs_source && !w->source) || (w->meta && !st->uses_meta));
}

/* The first entry the kernel can run and W does not rule out, or NULL. */
static const struct strategy *first_runnable(const struct overlay_features *f,
					     const struct strategy_wish *w)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(strategies); i++)
		if (strategies[i]->mount && strategies[i]->probe(f) &&
		    !ruled_out(strategies[i], w))
			return strategies[i];
	return NULL;
}

int strategy_pick(const char *want, const struct overlay_features *f,
		  const struct strategy_wish *w, const struct strategy **out,
		  struct error **err)
{
	const struct strategy *st;

	if (!strcmp(want, "auto")) {
		st = first_runnable(f, w);
		if (!st)	/* the mount refuses the option, naming it */
			st = first_runnable(f, NULL);
		*out = st;
		if (st)
			return 0;
		return error_set(err, EOPNOTSUPP,
				 "this kernel's overlayfs has no data-only lower layers (datadir+, Linux >= 6.7) "
				 "and no xino=nofollow: no strategy can detach the lower");
	}
	st = strategy_find(want);
	if (!st)
		return error_set(err, EINVAL, "unknown strategy '%s' (auto, datadir, nofollow, store)", want);
	if (!st->probe(f))
		return error_set(err, EOPNOTSUPP, "strategy %s: this kernel's overlayfs %s; use --strategy auto",
				 st->name, st->needs);
	if (!st->mount)
		return error_set(err, EOPNOTSUPP, "strategy %s: not implemented yet; use --strategy auto",
				 st->name);
	*out = st;
	return 0;
}

int strategy_choose(const char *want, const struct strategy_wish *w,
		    bool reprobe, const struct strategy **out,
		    struct error **err)
{
	struct overlay_features f;

	if (strcmp(want, "auto") && !strategy_find(want))
		return error_set(err, EINVAL, "unknown strategy '%s' (auto, datadir, nofollow, store)", want);
	if (overlay_probe_cached(&f, reprobe, err) < 0)
		return error_wrap(err, "probe overlayfs");
	return strategy_pick(want, &f, w, out, err);
}
