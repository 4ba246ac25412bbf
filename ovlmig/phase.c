// SPDX-License-Identifier: MIT
#include "phase.h"

#include <string.h>

#include "../common/util.h"

static const char *const names[] = {
	[PHASE_MOUNTING] = "mounting",
	[PHASE_LAZY] = "lazy",
	[PHASE_MIGRATING] = "migrating",
	[PHASE_MIGRATED] = "migrated",
	[PHASE_DETACHED] = "detached",
};

const char *phase_name(enum phase p)
{
	return (size_t)p < ARRAY_SIZE(names) ? names[p] : "unknown";
}

int phase_parse(const char *name, enum phase *out)
{
	size_t i;

	for (i = 0; name && i < ARRAY_SIZE(names); i++) {
		if (!strcmp(name, names[i])) {
			*out = (enum phase)i;
			return 0;
		}
	}
	return -1;
}
