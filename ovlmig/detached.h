/* SPDX-License-Identifier: MIT */
/*
 * The record that an upper was detached: `.UPPERNAME.ovlmig-detached`
 * beside the upper, written by detach (JSON: upper, meta, source, and
 * the inode and birth time of the upper and metadata directories). The
 * state in /run is gone after a reboot; this record is what lets a later
 * `ovlmig mount` of the same upper mount it with lowerdir=META alone, no
 * lowerfs: every file is in the upper, every directory's stack is local.
 */
#ifndef OVLMIG_DETACHED_H
#define OVLMIG_DETACHED_H

#include "../common/error.h"
#include "state.h"

/* Write (replace) the record for S->upper, S->meta (if any) and S->strategy. */
int detached_record_write(const struct mount_state *s, struct error **err);
/*
 * Was absolute UPPER detached? 1 with *META, *SOURCE and *STRATEGY
 * (malloc'd; META is NULL for nofollow, SOURCE may be NULL) from its
 * record, 0 if there is no record or it is about a directory that is not
 * this upper any more (deleted and made again), -1 on error (an
 * unreadable or broken record).
 */
int detached_record_find(const char *upper, char **meta, char **source,
			 char **strategy, struct error **err);
/*
 * The end of every detach, the lower gone: delete the cache ovlmig made,
 * write the record, phase "detached" in STATE_DIR.
 */
int detached_finish(const char *state_dir, struct mount_state *s,
		    struct error **err);

#endif
