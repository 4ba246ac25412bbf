// SPDX-License-Identifier: MIT
/* lowerfs ctl: send one command to a running lowerfs and print its JSON. */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "../common/cli.h"
#include "../common/util.h"
#include "../control/control.h"
#include "control_server.h"
#include "lowerfs.h"

enum { OPT_RUN_DIR = 256, OPT_MOUNT };

static const struct cli_option ctl_options[] = {
	{ "run-dir", OPT_RUN_DIR, "DIR", "the run directory lowerfs was started with" },
	{ "mount", OPT_MOUNT, "MOUNTPOINT", "use the default run directory of MOUNTPOINT" },
	{ "help", 'h', NULL, "show this help" },
};

static void ctl_usage(FILE *f)
{
	fprintf(f, "usage: lowerfs ctl [--run-dir DIR | --mount MOUNTPOINT] COMMAND\n\nOptions:\n");
	cli_print_options(f, ctl_options, ARRAY_SIZE(ctl_options));
	fprintf(f, "\nCommands:\n");
	control_print_help(f);
	fprintf(f, "\nExit codes: 0 ok, 1 lowerfs unreachable or the command failed, 2 bad usage.\n");
}

int control_cli_main(int argc, char **argv)
{
	struct cli_parser p;
	const char *run_dir = NULL, *mount = NULL;
	char *owned = NULL, *sock = NULL, *reply = NULL;
	struct error *err = NULL;
	json_error_t jerr;
	json_t *doc;
	int c, status = 1;

	if (cli_parser_init(&p, ctl_options, ARRAY_SIZE(ctl_options)) < 0)
		return 1;
	optind = 1;
	while ((c = cli_next(&p, argc, argv)) != -1) {
		if (c == OPT_RUN_DIR) {
			run_dir = optarg;
		} else if (c == OPT_MOUNT) {
			mount = optarg;
		} else if (c == 'h') {
			ctl_usage(stdout);
			cli_parser_free(&p);
			return 0;
		} else {
			ctl_usage(stderr);
			cli_parser_free(&p);
			return 2;
		}
	}
	cli_parser_free(&p);
	if (argc - optind != 1 || (!run_dir && !mount) || (run_dir && mount)) {
		ctl_usage(stderr);
		return 2;
	}
	if (mount) {
		owned = lowerfs_default_run_dir(mount);
		if (!owned) {
			fprintf(stderr, "lowerfs ctl: %s: %s\n", mount, strerror(errno));
			return 1;
		}
		run_dir = owned;
	}
	sock = path_join(run_dir, CONTROL_SOCKET);
	if (!sock) {
		fprintf(stderr, "lowerfs ctl: out of memory\n");
		goto out;
	}
	reply = control_request(sock, argv[optind], &err);
	if (!reply) {
		error_wrap(&err, "%s", argv[optind]);
		error_report(&err, "lowerfs ctl", stderr);
		goto out;
	}
	doc = json_loads(reply, 0, &jerr);
	if (!doc) {
		fprintf(stderr, "lowerfs ctl: %s: bad reply: %s\n", argv[optind],
			jerr.text);
		goto out;
	}
	if (json_is_string(json_object_get(doc, CONTROL_KEY_ERROR))) {
		fprintf(stderr, "lowerfs ctl: %s: %s\n", argv[optind],
			json_string_value(json_object_get(doc, CONTROL_KEY_ERROR)));
	} else {
		json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		putchar('\n');
		status = 0;
	}
	json_decref(doc);
out:
	free(reply);
	free(sock);
	free(owned);
	return status;
}
