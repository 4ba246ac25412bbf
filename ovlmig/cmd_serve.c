// SPDX-License-Identifier: MIT
/* ovlmig serve: the daemon that owns the jobs (see serve.h). */
#include <stdio.h>

#include "../common/util.h"
#include "commands.h"
#include "serve.h"

static const struct cli_option options[] = {
	{ "help", 'h', NULL, "show this help" },
};

const struct cli_command command_serve = {
	"serve", "",
	"daemon on /run/ovlmig/ovlmig.sock that owns the jobs of registered mounts",
	options, ARRAY_SIZE(options), 0, 0, cmd_serve,
};

int cmd_serve(int argc, char **argv)
{
	struct error *err = NULL;
	int code;

	if (command_parse(&command_serve, argc, argv, NULL, NULL, &code) < 0)
		return code;
	if (require_root("serve") < 0)
		return EXIT_USAGE;
	if (serve_run(&err) < 0) {
		error_report(&err, "ovlmig serve", stderr);
		return EXIT_FAILED;
	}
	return 0;
}
