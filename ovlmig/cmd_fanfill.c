// SPDX-License-Identifier: MIT
/* ovlmig fanfill STATE_DIR: the fanotify filler (see fan_filler.h); started by mount. */
#include <stdio.h>

#include "../common/util.h"
#include "commands.h"
#include "fan_filler.h"

static const struct cli_option options[] = {
	{ "help", 'h', NULL, "show this help" },
};

const struct cli_command command_fanfill = {
	"fanfill", "STATE-DIR",
	"fill a mount's image store on first access with fanotify (started by mount --fill fanotify)",
	options, ARRAY_SIZE(options), 1, 1, cmd_fanfill,
};

int cmd_fanfill(int argc, char **argv)
{
	struct error *err = NULL;
	int code;

	if (command_parse(&command_fanfill, argc, argv, NULL, NULL, &code) < 0)
		return code;
	if (fan_filler_run(argv[1], &err) < 0) {
		error_report(&err, "ovlmig fanfill", stderr);
		return EXIT_FAILED;
	}
	return 0;
}
