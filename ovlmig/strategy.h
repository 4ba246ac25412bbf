/* SPDX-License-Identifier: MIT */
/*
 * A strategy is how the lazy lower is made detachable: one table of
 * functions per way (datadir: a local metadata layer over a data-only FUSE
 * layer; nofollow: xino=nofollow straight over FUSE). The commands call
 * through the table; a new way (a store, a fanotify fill) is a new file
 * and one more entry, not branches in the commands.
 */
#ifndef OVLMIG_STRATEGY_H
#define OVLMIG_STRATEGY_H

#include <stdbool.h>

#include "../common/error.h"
#include "migrate.h"
#include "overlay.h"
#include "state.h"

struct strategy {
	const char *name;
	/* What the kernel lacks for it, said in a refusal. */
	const char *needs;
	/* Can this kernel run it (F: what overlay_probe found)? */
	bool (*probe)(const struct overlay_features *f);
	/* Does it keep a metadata layer of its own (S->meta)? */
	bool uses_meta;
	/*
	 * Does it read the image itself (--source), so that a lower given
	 * as a mounted filesystem (--lower-mount) cannot be used?
	 */
	bool needs_source;
	/* Does it keep the image in the shared store (S->store_root)? */
	bool uses_store;
	/*
	 * Does its mount start the lower itself, when it needs one (see
	 * lower_start)? Then it may leave none (S->lower NULL) and set the
	 * phase a mount ends in; otherwise the mount starts it first.
	 */
	bool starts_lower;
	/*
	 * Mount the overlay at S->target over the started lower S->lower.
	 * FRESH_UPPER: the upper is empty and gets the image root's
	 * attributes. XINO: the user's --xino, or NULL.
	 */
	int (*mount)(struct mount_state *s, bool fresh_upper, const char *xino,
		     struct error **err);
	/*
	 * Mount a detached upper again, with no lower (STATE_DIR is the
	 * mount's new state directory, already made).
	 */
	int (*remount)(struct mount_state *s, const char *state_dir,
		       const char *xino, struct error **err);
	/* Copy the image up while it is in use; resumable. */
	int (*migrate)(const char *state_dir, struct mount_state *s,
		       const struct migrate_opts *o, struct error **err);
	/* Take the lower away (migrating first if WAIT); EAGAIN: refused
	 * because migration is not complete. */
	int (*detach)(const char *state_dir, struct mount_state *s, bool wait,
		      struct error **err);
};

extern const struct strategy strategy_datadir;
extern const struct strategy strategy_nofollow;
extern const struct strategy strategy_store;

/* The strategy called NAME, or NULL. */
const struct strategy *strategy_find(const char *name);
/* The strategy of a managed mount (from its state); EINVAL if unknown. */
const struct strategy *strategy_of(const struct mount_state *s,
				   struct error **err);
/* What a mount asks for that rules a strategy in or out for auto. */
struct strategy_wish {
	bool source;	/* --source (not --lower-mount) */
	bool meta;	/* --meta: a metadata layer of the container's own */
};

/*
 * WANT ("auto" or a name) for a kernel with features F and a mount that
 * asks for W (NULL: nothing): auto takes the first entry of the table
 * the kernel can run and W does not rule out (nofollow, then store, then
 * datadir), else the first one the kernel can run (the mount then says
 * which option it refuses). A name is taken as it is.
 * EINVAL: no such strategy; EOPNOTSUPP: the kernel cannot run it (or,
 * for auto, any).
 */
int strategy_pick(const char *want, const struct overlay_features *f,
		  const struct strategy_wish *w, const struct strategy **out,
		  struct error **err);
/*
 * strategy_pick for this kernel (probed with throwaway mounts once per
 * boot, probe_cache.h; REPROBE: probe now all the same).
 */
int strategy_choose(const char *want, const struct strategy_wish *w,
		    bool reprobe, const struct strategy **out,
		    struct error **err);

#endif
