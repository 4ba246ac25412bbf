// SPDX-License-Identifier: MIT
/*
 * ovlmig hook STAGE < STATE-JSON: the OCI runtime hook (see hook.h).
 * Bad input is refused; a failed migration start fails the container only
 * when io.ovlmig.required says so; poststop only warns.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../common/log_escape.h"
#include "commands.h"
#include "hook.h"

static void unknown_stage(const char *name)
{
	size_t i;

	fprintf(stderr, "ovlmig hook: unknown stage '%s' (", name);
	for (i = 0; i < hook_nstages; i++)
		fprintf(stderr, "%s%s", i ? ", " : "", hook_stages[i].name);
	fprintf(stderr, ")\n");
}

int cmd_hook(int argc, char **argv)
{
	const char *name = argc > 1 ? argv[1] : "createRuntime";
	struct hook h = { .stage = hook_stage_find(name) };
	struct error *err = NULL;
	bool parsed, required;
	int ret = -1;

	if (!h.stage) {
		unknown_stage(name);
		return EXIT_USAGE;
	}
	if (hook_read_input(&h, STDIN_FILENO, &err) == 0)
		ret = h.stage->run(&h, &err);
	parsed = h.in.rootfs != NULL;
	required = h.in.required;
	if (err) {
		char *safe = log_escape(err->msg);

		hook_log(&h, "%s", err->msg);
		/* the runtime logs this too */
		fprintf(stderr, "ovlmig hook %s: %s\n", h.stage->name,
			safe ? safe : "out of memory");
		free(safe);
		error_free(&err);
	}
	hook_input_free(&h.in);
	if (ret == 0 || h.stage->warn_only)
		return 0;
	return required || !parsed ? EXIT_FAILED : 0;
}
