// SPDX-License-Identifier: MIT
/* ovlmig keep STATE_DIR: the keeper (see keeper.h); started by mount. */
#include <stdio.h>

#include "../common/util.h"
#include "commands.h"
#include "keeper.h"

static const struct cli_option options[] = {
	{ "help", 'h', NULL, "show this help" },
};

const struct cli_command command_keep = {
	"keep", "STATE-DIR",
	"hold a lowerfs' FUSE connection and restart it on a crash (started by mount)",
	options, ARRAY_SIZE(options), 1, 1, cmd_keep,
};

int cmd_keep(int argc, char **argv)
{
	struct error *err = NULL;
	int rc, code;

	if (command_parse(&command_keep, argc, argv, NULL, NULL, &code) < 0)
		return code;
	rc = keeper_run(argv[1], &err);
	if (rc < 0) {
		error_report(&err, "ovlmig keep", stderr);
		return EXIT_USAGE;
	}
	return rc ? EXIT_FAILED : 0;
}
