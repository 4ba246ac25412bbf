// SPDX-License-Identifier: MIT
/* ovlmig COMMAND [options] — the coordinator; one file per command. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../common/util.h"
#include "commands.h"

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *args;
	const char *help;
};

static const struct command commands[] = {
	{ "mount", cmd_mount,
	  "[--strategy auto|datadir|nofollow] [--source SOURCE | --lower-mount PATH] --upper DIR --work DIR [--meta DIR] [--cache DIR] [--name NAME] TARGET",
	  "mount an overlay over a lazy image at TARGET (a detached upper: no lower)" },
	{ "migrate", cmd_migrate, "[--jobs N] [--bandwidth MBPS] TARGET",
	  "copy the whole image up while it is in use; resumable" },
	{ "detach", cmd_detach, "[--wait] TARGET",
	  "stop needing the lower: repin what it still serves, abort it, stop lowerfs" },
	{ "status", cmd_status, "[--json] [TARGET]",
	  "strategy, phase, lower attached, lowerfs stats of one or every managed mount" },
	{ "serve", cmd_serve, "",
	  "daemon on /run/ovlmig/ovlmig.sock that owns the jobs of registered mounts" },
	{ "hook", cmd_hook, "[createRuntime|prestart|poststop] < STATE-JSON",
	  "OCI runtime hook: hand a container's ovlmig rootfs to serve; clean up at poststop" },
	{ "job", cmd_job, "TARGET",
	  "carry out the policy the hook recorded for TARGET (run by serve or the hook)" },
	{ "keep", cmd_keep, "STATE-DIR",
	  "hold a lowerfs' FUSE connection and restart it on a crash (started by mount)" },
	{ "umount", cmd_umount, "TARGET",
	  "unmount the overlay and its lower, remove the state" },
	{ "index", cmd_index, "[--chunk-size BYTES] LAYER -o INDEX",
	  "index a tar layer (plain, gzip, zstd) for lazy reads; see docs/INDEX.md" },
};

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: ovlmig COMMAND [options]\n\nCommands:\n");
	for (i = 0; i < ARRAY_SIZE(commands); i++)
		fprintf(f, "  %-8s %s\n           %s\n", commands[i].name,
			commands[i].help, commands[i].args);
	fprintf(f, "\n`ovlmig COMMAND --help` for options.\n"
		   "Exit codes: 0 ok, 1 operation failed, 2 bad usage or input,\n"
		   "3 the kernel lacks a needed feature.\n");
}

int main(int argc, char **argv)
{
	size_t i;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : 0;
	}
	for (i = 0; i < ARRAY_SIZE(commands); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "ovlmig: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return EXIT_USAGE;
}
