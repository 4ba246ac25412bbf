// SPDX-License-Identifier: MIT
/*
 * ovlmig umount TARGET: unmount the overlay, stop and unmount its lower,
 * remove the state. The upper, the metadata layer and the cache stay:
 * they are the container's data and what a later mount of it needs.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "../common/fsutil.h"
#include "commands.h"
#include "lower.h"
#include "state.h"

int umount_mount(const char *dir, struct mount_state *s, struct error **err)
{
	if (is_mountpoint(s->target) == 1 && umount2(s->target, 0) < 0) {
		if (errno == EBUSY)
			return error_set(err, errno, "unmount %s (processes still use it; stop them or detach first)",
					 s->target);
		return error_set(err, errno, "unmount %s", s->target);
	}
	lower_stop(s);
	/* a mount killed half-way leaves a metadata layer of its own, unfinished */
	if (!strcmp(s->phase, "mounting") && s->meta && remove_tree(s->meta, err) < 0)
		return -1;
	return remove_tree(dir, err);
}

int cmd_umount(int argc, char **argv)
{
	struct mount_state s;
	struct error *err = NULL;
	char *dir = NULL;
	int code = EXIT_FAILED;

	if (argc != 2 || argv[1][0] == '-') {
		fprintf(stderr, "usage: ovlmig umount TARGET\n");
		return argc == 2 && !strcmp(argv[1], "--help") ? 0 : EXIT_USAGE;
	}
	if (require_root("umount") < 0)
		return EXIT_USAGE;
	if (state_find(argv[1], &dir, &s, &err) < 0) {
		error_report(&err, "ovlmig umount", stderr);
		return EXIT_USAGE;
	}
	if (umount_mount(dir, &s, &err) < 0)
		goto out;
	printf("%s: unmounted\n", s.target);
	code = 0;
out:
	if (err)
		error_report(&err, "ovlmig umount", stderr);
	state_free(&s);
	free(dir);
	return code;
}
