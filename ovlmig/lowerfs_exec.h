/* SPDX-License-Identifier: MIT */
/*
 * How a lowerfs is started for a mount: its binary, its run dir, its
 * command line, the pid it records. Shared by the first start (lower.c)
 * and a keeper's restart on the same connection (keeper.c).
 */
#ifndef OVLMIG_LOWERFS_EXEC_H
#define OVLMIG_LOWERFS_EXEC_H

#include "state.h"

/* STATE_DIR/lowerfs, malloc'd. */
char *lower_run_dir(const char *state_dir);
/* $OVLMIG_LOWERFS, else lowerfs beside this executable, else $PATH. */
char *lowerfs_binary(void);
/*
 * The command line of S's lowerfs: BIN --run-dir RUN --export-support
 * OPT VALUE --cache ... LOWER_ARGS... SOURCE LOWER. Only the array is
 * malloc'd (it is exec'd right away).
 */
char **lowerfs_argv(const struct mount_state *s, const char *bin,
		    const char *run, const char *opt, const char *value);
/*
 * Strategy store: have S's running lowerfs put each file it fetches whole
 * into the image store DIR too (a warning when it cannot).
 */
void lowerfs_feed_store(const struct mount_state *s, const char *dir);
/* The pid a lowerfs wrote to RUN_DIR/lowerfs.pid, or 0. */
long lowerfs_read_pid(const char *run_dir);

#endif
