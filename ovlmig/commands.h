/* SPDX-License-Identifier: MIT */
/*
 * ovlmig subcommands, one file each (cmd_NAME.c): a table of options
 * (../common/cli.h) that drives parsing and --help, and a thin body over
 * the mechanisms. Exit codes (also in --help): 0 ok, 1 operation failed,
 * 2 bad usage or input (not root, TARGET not an ovlmig mount, missing
 * source, upper already in use), 3 the kernel lacks a needed feature.
 */
#ifndef OVLMIG_COMMANDS_H
#define OVLMIG_COMMANDS_H

#include "../common/cli.h"
#include "exit_code.h"

extern const struct cli_command command_mount, command_migrate,
	command_detach, command_status, command_umount, command_serve,
	command_hook, command_job, command_keep, command_index, command_images,
	command_gc, command_fanfill;

int cmd_mount(int argc, char **argv);
int cmd_umount(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_migrate(int argc, char **argv);
int cmd_detach(int argc, char **argv);
int cmd_hook(int argc, char **argv);
int cmd_index(int argc, char **argv);
int cmd_job(int argc, char **argv);
int cmd_keep(int argc, char **argv);
int cmd_fanfill(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_images(int argc, char **argv);
int cmd_gc(int argc, char **argv);

/*
 * cli_parse() for an ovlmig command: the number of operands (moved to
 * ARGV[1..]), or -1 with *CODE what the command exits with (0 after
 * --help, EXIT_USAGE after bad usage).
 */
int command_parse(const struct cli_command *cmd, int argc, char **argv,
		  int (*option)(void *ctx, int key, const char *arg),
		  void *ctx, int *code);

/* Shared checks: one clear line and EXIT_USAGE when not root. */
int require_root(const char *cmd);

#endif
