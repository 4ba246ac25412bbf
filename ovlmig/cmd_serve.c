// SPDX-License-Identifier: MIT
/* ovlmig serve: the daemon that owns the jobs (see serve.h). */
#include <stdio.h>

#include "commands.h"
#include "serve.h"

int cmd_serve(int argc, char **argv)
{
	struct error *err = NULL;

	(void)argv;
	if (argc != 1) {
		fprintf(stderr, "usage: ovlmig serve\n");
		return EXIT_USAGE;
	}
	if (require_root("serve") < 0)
		return EXIT_USAGE;
	if (serve_run(&err) < 0) {
		error_report(&err, "ovlmig serve", stderr);
		return EXIT_FAILED;
	}
	return 0;
}
