// SPDX-License-Identifier: MIT
/* ovlmig serve: the daemon that owns the jobs (see serve.h). */
#include <stdio.h>

#include "../common/util.h"
#include "commands.h"
#include "serve.h"

enum { OPT_METRICS_LISTEN = 256 };

static const struct cli_option options[] = {
	{ "metrics-listen", OPT_METRICS_LISTEN, "ADDR:PORT",
	  "also serve GET /metrics (Prometheus text) over TCP on ADDR:PORT ([ADDR]:PORT for IPv6; :PORT for every address)" },
	{ "help", 'h', NULL, "show this help" },
};

const struct cli_command command_serve = {
	"serve", "",
	"daemon on /run/ovlmig/ovlmig.sock that owns the jobs of registered mounts and serves their metrics",
	options, ARRAY_SIZE(options), 0, 0, cmd_serve,
};

static int option(void *ctx, int key, const char *arg)
{
	(void)key;	/* the only one */
	*(const char **)ctx = arg;
	return 0;
}

int cmd_serve(int argc, char **argv)
{
	const char *metrics_listen = NULL;
	struct error *err = NULL;
	int code;

	if (command_parse(&command_serve, argc, argv, option, &metrics_listen, &code) < 0)
		return code;
	if (require_root("serve") < 0)
		return EXIT_USAGE;
	if (serve_run(metrics_listen, &err) < 0) {
		error_report(&err, "ovlmig serve", stderr);
		return EXIT_FAILED;
	}
	return 0;
}
