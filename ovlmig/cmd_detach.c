// SPDX-License-Identifier: MIT
/* ovlmig detach [--wait] TARGET (see detach.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "state.h"
#include "strategy.h"

int cmd_detach(int argc, char **argv)
{
	const struct strategy *st;
	struct error *err = NULL;
	struct mount_state s;
	const char *target = NULL;
	bool wait = false;
	char *dir = NULL;
	int a, code = EXIT_FAILED, lock;

	for (a = 1; a < argc; a++) {
		if (!strcmp(argv[a], "--wait"))
			wait = true;
		else if (argv[a][0] != '-' && !target)
			target = argv[a];
		else {
			fprintf(stderr, "usage: ovlmig detach [--wait] TARGET\n");
			return EXIT_USAGE;
		}
	}
	if (!target) {
		fprintf(stderr, "usage: ovlmig detach [--wait] TARGET\n");
		return EXIT_USAGE;
	}
	if (require_root("detach") < 0)
		return EXIT_USAGE;
	if (state_find(target, &dir, &s, &err) < 0) {
		error_report(&err, "ovlmig detach", stderr);
		return EXIT_USAGE;
	}
	lock = state_lock(dir, &err);
	if (lock >= 0 && state_reload(dir, &s, &err) == 0 &&
	    (st = strategy_of(&s, &err)) && st->detach(dir, &s, wait, &err) == 0)
		code = 0;
	if (err && err->errnum == EAGAIN) {	/* a refusal, not a failure */
		fprintf(stderr, "ovlmig detach %s: %s\n", s.target, err->msg);
		error_free(&err);
	} else if (err) {
		error_wrap(&err, "detach %s", s.target);
		error_report(&err, "ovlmig", stderr);
	}
	if (lock >= 0)
		close(lock);
	state_free(&s);
	free(dir);
	return code;
}
