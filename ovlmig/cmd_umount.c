// SPDX-License-Identifier: MIT
/* ovlmig umount TARGET (see umount.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "state.h"
#include "umount.h"

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
