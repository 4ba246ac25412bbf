/* SPDX-License-Identifier: MIT */
/*
 * The OCI runtime hook's work, one function per stage (hook.c). At
 * createRuntime (or its deprecated alias prestart) the policy of the
 * container's annotations is recorded and the mount handed to `ovlmig
 * serve` (or a worker that cannot hold the runtime up); at poststop the
 * job is stopped and the mount taken down. Input is untrusted.
 */
#ifndef OVLMIG_HOOK_H
#define OVLMIG_HOOK_H

#include <stdbool.h>
#include <stddef.h>

#include "../common/error.h"
#include "hook_input.h"

struct hook;

struct hook_stage {
	const char *name;
	int (*run)(struct hook *h, struct error **err);
	bool warn_only;		/* a failure does not fail the container */
};

struct hook {
	const struct hook_stage *stage;
	struct hook_input in;
};

extern const struct hook_stage hook_stages[];
extern const size_t hook_nstages;
/* The stage called NAME, or NULL. */
const struct hook_stage *hook_stage_find(const char *name);

/* The container's state from FD, then its bundle's config.json. */
int hook_read_input(struct hook *h, int fd, struct error **err);
/* One line in RUN_ROOT/hook.log, what came from the input escaped. */
void hook_log(const struct hook *h, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
