// SPDX-License-Identifier: MIT
#include <stdio.h>
#include <unistd.h>

#include "commands.h"

int require_root(const char *cmd)
{
	if (geteuid() == 0)
		return 0;
	fprintf(stderr, "ovlmig %s: must run as root (it mounts filesystems)\n",
		cmd);
	return -1;
}
