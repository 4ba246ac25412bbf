// SPDX-License-Identifier: MIT
/* ovlmig migrate [--jobs N] [--bandwidth RATE] TARGET (see migrate.h). */
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
	{ "jobs", OPT_JOBS, "N",
	  "files copied up, or fetched into the image store, in parallel (1-64; default: "
	  "2 for copy-up; the store: 4 from a remote source, 1 from a local one)" },
	{ "bandwidth", OPT_BANDWIDTH, "RATE",
	  "cap the copy-up or store fill at RATE bytes/s over all jobs: a K, M or G "
	  "suffix (10^3, 10^6, 10^9), e.g. 20M; a bare number is megabytes/s" },
	{ "help", 'h', NULL, "show this help" },
};

const struct cli_command command_migrate = {
	"migrate", "TARGET", "copy the whole image up, or fill its image store, while it is in use; resumable",
	options, ARRAY_SIZE(options), 1, 1, cmd_migrate,
};

/* "20M", "500K", "1G": bytes/s; a bare "20": megabytes/s, as it always was. */
static int parse_rate(const char *arg, uint64_t *bps)
{
	static const char units[] = "KMG";
	size_t len = strlen(arg);
	const char *u = len ? strchr(units, arg[len - 1]) : NULL;
	uint64_t mult = 1000000, v;
	char *num;
	int ret;

	if (u) {
		for (mult = 1000; u > units; u--)
			mult *= 1000;
		num = strndup(arg, len - 1);
	} else {
		num = strdup(arg);
	}
	if (!num)
		return -1;
	/* at most 100 GB/s, whatever the unit */
	ret = parse_u64(num, 0, 100000000000ull / mult, &v);
	free(num);
	if (ret < 0)
		return -1;
	*bps = v * mult;
	return 0;
}

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
	return parse_rate(arg, &o->bandwidth_bps);
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
	struct migrate_opts o = { 0 };
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
