// SPDX-License-Identifier: MIT
#include <stdio.h>
#include <stdlib.h>

#include "lowerfs.h"

/* One run directory per mountpoint, so `lowerfs ctl --mount` finds it. */
char *lowerfs_default_run_dir(const char *mountpoint)
{
	char *real = realpath(mountpoint, NULL), *out, *p;

	if (!real)
		return NULL;
	for (p = real; *p; p++)
		if (*p == '/')
			*p = '-';
	if (asprintf(&out, "/run/lowerfs/%s", real[1] ? real + 1 : "root") < 0)
		out = NULL;
	free(real);
	return out;
}
