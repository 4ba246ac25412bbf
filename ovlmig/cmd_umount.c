// SPDX-License-Identifier: MIT
/* ovlmig umount TARGET (see umount.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/util.h"
#include "commands.h"
#include "state.h"
#include "umount.h"

static const struct cli_option options[] = {
	{ "help", 'h', NULL, "show this help" },
};

const struct cli_command command_umount = {
	"umount", "TARGET", "unmount the overlay and its lower, remove the state",
	options, ARRAY_SIZE(options), 1, 1, cmd_umount,
};

int cmd_umount(int argc, char **argv)
{
	struct mount_state s;
	struct error *err = NULL;
	char *dir = NULL;
	int code = EXIT_FAILED;

	if (command_parse(&command_umount, argc, argv, NULL, NULL, &code) < 0)
		return code;
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
