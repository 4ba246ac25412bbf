// SPDX-License-Identifier: MIT
/* ovlmig detach [--wait] TARGET (see detach.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/util.h"
#include "commands.h"
#include "mount_events.h"
#include "state.h"
#include "strategy.h"

static const struct cli_option options[] = {
	{ "wait", 256, NULL, "migrate first if migration is not complete" },
	{ "help", 'h', NULL, "show this help" },
};

const struct cli_command command_detach = {
	"detach", "TARGET",
	"stop needing the lower: repin what it still serves, abort it, stop lowerfs",
	options, ARRAY_SIZE(options), 1, 1, cmd_detach,
};

static int option(void *ctx, int key, const char *arg)
{
	(void)key;
	(void)arg;
	*(bool *)ctx = true;	/* --wait */
	return 0;
}

static int detach_locked(const char *dir, struct mount_state *s, void *arg,
			 struct error **err)
{
	const struct strategy *st = strategy_of(s, err);

	return st ? events_detach(st, dir, s, *(bool *)arg, err) : -1;
}

int cmd_detach(int argc, char **argv)
{
	struct error *err = NULL;
	struct mount_state s;
	bool wait = false;
	char *dir = NULL;
	int code = EXIT_FAILED;

	if (command_parse(&command_detach, argc, argv, option, &wait, &code) < 0)
		return code;
	if (require_root("detach") < 0)
		return EXIT_USAGE;
	if (state_find(argv[1], &dir, &s, &err) < 0) {
		error_report(&err, "ovlmig detach", stderr);
		return EXIT_USAGE;
	}
	if (state_run_locked(dir, &s, detach_locked, &wait, &err) == 0)
		code = 0;
	if (err && err->errnum == EAGAIN) {	/* a refusal, not a failure */
		fprintf(stderr, "ovlmig detach %s: %s\n", s.target, err->msg);
		error_free(&err);
	} else if (err) {
		error_wrap(&err, "detach %s", s.target);
		error_report(&err, "ovlmig", stderr);
	}
	state_free(&s);
	free(dir);
	return code;
}
