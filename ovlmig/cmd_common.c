// SPDX-License-Identifier: MIT
/* What every command shares: its parsing, the root check. */
#include <stdio.h>
#include <unistd.h>

#include "commands.h"

int command_parse(const struct cli_command *cmd, int argc, char **argv,
		  int (*option)(void *ctx, int key, const char *arg),
		  void *ctx, int *code)
{
	int n = cli_parse("ovlmig", cmd, argc, argv, option, ctx);

	if (n >= 0)
		return n;
	*code = n == CLI_HELP ? 0 : EXIT_USAGE;
	return -1;
}

int require_root(const char *cmd)
{
	if (geteuid() == 0)
		return 0;
	fprintf(stderr, "ovlmig %s: must run as root (it mounts filesystems)\n",
		cmd);
	return -1;
}
