// SPDX-License-Identifier: MIT
/* ovlmig COMMAND [options] — the coordinator; one file per command. */
#include <stdio.h>
#include <string.h>

#include "../common/util.h"
#include "commands.h"

static const struct cli_command *const commands[] = {
	&command_mount, &command_migrate, &command_detach, &command_status,
	&command_serve, &command_hook, &command_job, &command_keep,
	&command_fanfill,
	&command_umount, &command_index, &command_images, &command_gc,
};

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: ovlmig COMMAND [options]\n\nCommands:\n");
	for (i = 0; i < ARRAY_SIZE(commands); i++)
	{
		fprintf(f, "  %-8s %s\n    ", commands[i]->name, commands[i]->help);
		cli_print_synopsis(f, "ovlmig", commands[i]);
	}
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
		if (!strcmp(argv[1], commands[i]->name))
			return commands[i]->run(argc - 1, argv + 1);
	fprintf(stderr, "ovlmig: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return EXIT_USAGE;
}
