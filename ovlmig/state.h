/* SPDX-License-Identifier: MIT */
/*
 * The state of each managed mount: RUN_ROOT/NAME/state.json, where
 * RUN_ROOT is /run/ovlmig or $OVLMIG_RUN_DIR. RUN_ROOT/NAME/ also holds
 * the lowerfs run dir (lowerfs/) and its mountpoint (lower/).
 */
#ifndef OVLMIG_STATE_H
#define OVLMIG_STATE_H

#include <stdbool.h>
#include <stdint.h>

#include "../common/error.h"
#include "phase.h"

struct mount_state {
	char *name;
	char *target;
	char *strategy;		/* "datadir", "nofollow" or "store" */
	char *source;		/* lowerfs SOURCE, or NULL with --lower-mount */
	char *lower;		/* the lower filesystem's mountpoint; NULL for a
				   detached upper mounted again (no lower) */
	bool own_lower;		/* lower is a lowerfs ovlmig started */
	bool shutdown_lower;	/* --shutdown-lower */
	char *upper, *work, *meta, *cache;
	/* strategy store: the store's root and this image's directory in it */
	char *store_root, *store;
	/* strategy store: what fills the store, "fanotify" (fan_filler.h);
	   NULL: lowerfs over FUSE */
	char *fill;
	/* strategy store filled by FUSE: why (--fill fuse, or what ruled
	   fanotify out when --fill was not given: fan_probe.h) */
	char *fill_reason;
	/* fill fanotify: files of at least this many bytes, never mapped
	   (fan_range.h), are filled by ranges at their reads; 0: the default */
	uint64_t fill_range_min;
	char **lower_args;	/* more lowerfs options (--insecure, --index F...); NULL-terminated or NULL */
	enum phase phase;
	long lowerfs_pid;
};

const char *state_root(void);
/* RUN_ROOT/NAME, malloc'd. */
char *state_dir(const char *name);
int state_save(const char *dir, const struct mount_state *s, struct error **err);
int state_load(const char *dir, struct mount_state *s, struct error **err);
void state_free(struct mount_state *s);
void state_free_args(char **args);
/* Find the managed mount whose target is TARGET (after realpath). */
int state_find(const char *target, char **dir, struct mount_state *s,
	       struct error **err);
/* Call FN for every managed mount; stops at the first -1. */
int state_each(int (*fn)(const char *dir, struct mount_state *s, void *arg),
	       void *arg, struct error **err);
typedef int state_locked_fn(const char *dir, struct mount_state *s, void *arg,
			    struct error **err);
/*
 * How every state-changing operation (migrate, detach, job, umount,
 * poststop) works on the mount in DIR, one at a time: take its lock
 * (STATE_DIR/lock, flock), waiting for the one that holds it; re-read S,
 * as that one may have changed it; run FN; release. Returns what FN
 * returns, or -1 when the lock or the state cannot be had.
 */
int state_run_locked(const char *dir, struct mount_state *s,
		     state_locked_fn *fn, void *arg, struct error **err);
/* Set S's phase to PHASE and save S in DIR. */
int state_set_phase(const char *dir, struct mount_state *s, enum phase phase,
		    struct error **err);
/* "/a/b" -> "a-b": a default name for a target path. */
char *state_default_name(const char *target);

#endif
