// SPDX-License-Identifier: MIT
/* ovlmig migrate [--jobs N] [--bandwidth MBPS] TARGET (see migrate.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/util.h"
#include "commands.h"
#include "migrate.h"
#include "state.h"
#include "strategy.h"

enum { OPT_JOBS = 'j', OPT_BANDWIDTH = 256 };

static const struct cli_option options[] = {
	{ "jobs", OPT_JOBS, "N", "regular files copied up in parallel (1-64, default 2)" },
	{ "bandwidth", OPT_BANDWIDTH, "MBPS", "limit the copy-up rate to MBPS megabytes/s" },
	{ "help", 'h', NULL, "show this help" },
};

const struct cli_command command_migrate = {
	"migrate", "TARGET", "copy the whole image up while it is in use; resumable",
	options, ARRAY_SIZE(options), 1, 1, cmd_migrate,
};

static int option(void *ctx, int key, const char *arg)
{
	struct migrate_opts *o = ctx;
	uint64_t v;

	if (key == OPT_JOBS) {
		if (parse_u64(arg, 1, 64, &v) < 0)
			return -1;
		o->jobs = (unsigned)v;
		return 0;
	}
	return parse_u64(arg, 0, 100000, &o->bandwidth_mbps);
}

static int migrate_locked(const char *dir, struct mount_state *s, void *arg,
			  struct error **err)
{
	const struct strategy *st;

	if (s->phase == PHASE_DETACHED) {
		printf("%s: already detached: nothing to migrate\n", s->target);
		return 0;
	}
	st = strategy_of(s, err);
	return st ? st->migrate(dir, s, arg, err) : -1;
}

int cmd_migrate(int argc, char **argv)
{
	struct migrate_opts o = { .jobs = 2 };
	struct error *err = NULL;
	struct mount_state s;
	char *dir = NULL;
	int code = EXIT_FAILED;

	if (command_parse(&command_migrate, argc, argv, option, &o, &code) < 0)
		return code;
	if (require_root("migrate") < 0)
		return EXIT_USAGE;
	if (state_find(argv[1], &dir, &s, &err) < 0) {
		error_report(&err, "ovlmig migrate", stderr);
		return EXIT_USAGE;
	}
	if (state_run_locked(dir, &s, migrate_locked, &o, &err) == 0) {
		code = 0;
	} else {
		error_wrap(&err, "migrate %s", s.target);
		error_report(&err, "ovlmig", stderr);
	}
	state_free(&s);
	free(dir);
	return code;
}
