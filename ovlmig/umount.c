// SPDX-License-Identifier: MIT
/*
 * Unmount a managed mount: the overlay, its lower, its state (umount.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "../common/fsutil.h"
#include "fan_spawn.h"
#include "lower.h"
#include "umount.h"

static int umount_locked(const char *dir, struct mount_state *s, void *arg,
			 struct error **err)
{
	(void)arg;
	if (is_mountpoint(s->target) == 1 && umount2(s->target, 0) < 0) {
		if (errno == EBUSY)
			return error_set(err, errno, "unmount %s (processes still use it; stop them or detach first)",
					 s->target);
		return error_set(err, errno, "unmount %s", s->target);
	}
	lower_stop(s);
	fan_filler_stop(dir);
	/* a mount killed half-way leaves a metadata layer of its own,
	 * unfinished; a store's is shared and never half-made */
	if (s->phase == PHASE_MOUNTING && s->meta && !s->store &&
	    remove_tree(s->meta, err) < 0)
		return -1;
	return remove_tree(dir, err);
}

int umount_mount(const char *dir, struct mount_state *s, struct error **err)
{
	return state_run_locked(dir, s, umount_locked, NULL, err);
}
