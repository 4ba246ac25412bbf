/* SPDX-License-Identifier: MIT */
/*
 * ovlmig subcommands, one file each. Exit codes (also in --help):
 * 0 ok, 1 operation failed, 2 bad usage or input (not root, TARGET not
 * an ovlmig mount, missing source, upper already in use),
 * 3 the kernel lacks a needed feature.
 */
#ifndef OVLMIG_COMMANDS_H
#define OVLMIG_COMMANDS_H

#include "exit_code.h"

int cmd_mount(int argc, char **argv);
int cmd_umount(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_migrate(int argc, char **argv);
int cmd_detach(int argc, char **argv);
int cmd_hook(int argc, char **argv);
int cmd_index(int argc, char **argv);
int cmd_job(int argc, char **argv);
int cmd_keep(int argc, char **argv);
int cmd_serve(int argc, char **argv);

/* Shared checks: one clear line and EXIT_USAGE when not root. */
int require_root(const char *cmd);

#endif
