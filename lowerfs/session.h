/* SPDX-License-Identifier: MIT */
/*
 * Surviving a crash: what INIT negotiated is kept in RUNDIR/session, so a
 * lowerfs started with --takeover-fd on the same FUSE connection (which
 * sees no second INIT) serves it the same way; a keeper process holds a
 * duplicate of the connection meanwhile, so the kernel keeps it alive.
 * A normal exit leaves RUNDIR/exited, so the keeper knows not to restart.
 */
#ifndef LOWERFS_SESSION_H
#define LOWERFS_SESSION_H

#include "lowerfs.h"

void session_save(struct lowerfs *fs);
/* Adopt the connection of --takeover-fd with the saved session. */
int takeover(struct lowerfs *fs, struct error **err);
/* Send a duplicate of the connection to --keeper SOCKET. */
int keeper_send(struct lowerfs *fs, struct error **err);
void session_mark_exit(struct lowerfs *fs);

#endif
