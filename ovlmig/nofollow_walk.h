/* SPDX-License-Identifier: MIT */
/*
 * One pass of the nofollow migration over an overlay mounted
 * xino=nofollow,metacopy=off (kernel/README.md), depth first from dir fds:
 * every non-directory copied up by setting its times (a full copy-up,
 * running binaries too), the further names of a hardlink group linked to
 * the first copy again (copy-up splits them without index=on), and every
 * directory read again once everything below it is up: the kernel then
 * marks it opaque and stops consulting the lower for it, also while it
 * is in use. Opacity is never set by hand: the in-memory inode would stay
 * merged. The pass also counts each directory that merges a lower one
 * (the lower has a directory there, or it was renamed and carries a
 * redirect) but is not opaque: detach needs none left.
 */
#ifndef OVLMIG_NOFOLLOW_WALK_H
#define OVLMIG_NOFOLLOW_WALK_H

#include <stdbool.h>
#include <stdint.h>

#include "../common/error.h"
#include "../image/source.h"
#include "link_table.h"
#include "progress.h"

struct nofollow_walk {
	int ovl, up, low;		/* the roots: overlay, upper, lower */
	bool check_only;		/* count what is left, change nothing */
	struct progress *prog;		/* counted into, or NULL */
	struct link_emulation *limit;	/* --bandwidth, or NULL */
	struct link_table links;	/* kept across passes */
	/* one pass */
	uint64_t copied, relinked, left, not_opaque;
	char *not_opaque_at;		/* the first directory still merged */
};

/* Run one pass from the roots; the counters are reset first. */
int nofollow_walk_pass(struct nofollow_walk *w, struct error **err);
void nofollow_walk_free(struct nofollow_walk *w);

#endif
