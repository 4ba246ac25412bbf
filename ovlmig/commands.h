/* SPDX-License-Identifier: MIT */
/*
 * ovlmig subcommands, one file each. Exit codes (also in --help):
 * 0 ok, 1 operation failed, 2 bad usage or input (not root, TARGET not
 * an ovlmig mount, missing source, upper already in use),
 * 3 the kernel lacks a needed feature.
 */
#ifndef OVLMIG_COMMANDS_H
#define OVLMIG_COMMANDS_H

enum {
	EXIT_FAILED = 1,
	EXIT_USAGE = 2,
	EXIT_KERNEL = 3,
};

int cmd_mount(int argc, char **argv);
int cmd_umount(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_migrate(int argc, char **argv);
int cmd_detach(int argc, char **argv);
int cmd_hook(int argc, char **argv);
int cmd_index(int argc, char **argv);

struct mount_state;
struct error;
/* The core of `ovlmig umount`: overlay, then lower, then the state. */
int umount_mount(const char *dir, struct mount_state *s, struct error **err);

/* Shared checks: one clear line and EXIT_USAGE when not root. */
int require_root(const char *cmd);

#endif
