// SPDX-License-Identifier: MIT
/* ovlmig migrate [--jobs N] [--bandwidth MBPS] TARGET (see migrate.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../common/cli.h"
#include "../common/util.h"
#include "commands.h"
#include "migrate.h"
#include "state.h"
#include "strategy.h"

enum { OPT_JOBS = 'j', OPT_BANDWIDTH = 256 };

static const struct cli_option options[] = {
	{ "jobs", OPT_JOBS, "N", "regular files copied up in parallel (default 2)" },
	{ "bandwidth", OPT_BANDWIDTH, "MBPS", "limit the copy-up rate to MBPS megabytes/s" },
	{ "help", 'h', NULL, "show this help" },
};

int cmd_migrate(int argc, char **argv)
{
	struct migrate_opts o = { .jobs = 2 };
	struct error *err = NULL;
	struct mount_state s;
	struct cli_parser p;
	char *dir = NULL;
	uint64_t v;
	const struct strategy *st;
	int c, code = EXIT_FAILED, lock;

	if (cli_parser_init(&p, options, ARRAY_SIZE(options)) < 0)
		return EXIT_FAILED;
	optind = 1;
	while ((c = cli_next(&p, argc, argv)) != -1) {
		if (c == 'h') {
			printf("usage: ovlmig migrate [options] TARGET\n\nOptions:\n");
			cli_print_options(stdout, options, ARRAY_SIZE(options));
			cli_parser_free(&p);
			return 0;
		}
		if ((c != OPT_JOBS && c != OPT_BANDWIDTH) ||
		    parse_u64(optarg, c == OPT_JOBS ? 1 : 0, c == OPT_JOBS ? 64 : 100000, &v) < 0) {
			fprintf(stderr, "usage: ovlmig migrate [--jobs N] [--bandwidth MBPS] TARGET\n");
			cli_parser_free(&p);
			return EXIT_USAGE;
		}
		if (c == OPT_JOBS)
			o.jobs = (unsigned)v;
		else
			o.bandwidth_mbps = v;
	}
	cli_parser_free(&p);
	if (argc - optind != 1) {
		fprintf(stderr, "usage: ovlmig migrate [--jobs N] [--bandwidth MBPS] TARGET\n");
		return EXIT_USAGE;
	}
	if (require_root("migrate") < 0)
		return EXIT_USAGE;
	if (state_find(argv[optind], &dir, &s, &err) < 0) {
		error_report(&err, "ovlmig migrate", stderr);
		return EXIT_USAGE;
	}
	lock = state_lock(dir, &err);
	if (lock < 0 || state_reload(dir, &s, &err) < 0) {
		error_report(&err, "ovlmig migrate", stderr);
	} else if (!strcmp(s.phase, "detached")) {
		printf("%s: already detached: nothing to migrate\n", s.target);
		code = 0;
	} else if ((st = strategy_of(&s, &err)) && st->migrate(dir, &s, &o, &err) == 0) {
		code = 0;
	} else {
		error_wrap(&err, "migrate %s", s.target);
		error_report(&err, "ovlmig", stderr);
	}
	if (lock >= 0)
		close(lock);
	state_free(&s);
	free(dir);
	return code;
}
