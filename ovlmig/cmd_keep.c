// SPDX-License-Identifier: MIT
/* ovlmig keep STATE_DIR: the keeper (see keeper.h); started by mount. */
#include <stdio.h>

#include "commands.h"
#include "keeper.h"

int cmd_keep(int argc, char **argv)
{
	struct error *err = NULL;
	int rc;

	if (argc != 2) {
		fprintf(stderr, "usage: ovlmig keep STATE-DIR\n");
		return EXIT_USAGE;
	}
	rc = keeper_run(argv[1], &err);
	if (rc < 0) {
		error_report(&err, "ovlmig keep", stderr);
		return EXIT_USAGE;
	}
	return rc ? EXIT_FAILED : 0;
}
