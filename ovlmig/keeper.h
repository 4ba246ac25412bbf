/* SPDX-License-Identifier: MIT */
/*
 * The keeper: a small process per lowerfs mount that holds a duplicate of
 * its FUSE connection (sent by lowerfs over STATE/keeper.sock), so the
 * kernel keeps the connection when lowerfs dies. If lowerfs dies without
 * a normal exit, the keeper starts a new one on the same connection
 * (lowerfs --takeover-fd), which asks the kernel to resend what the dead
 * one had read. Readers see a pause, not an error.
 */
#ifndef OVLMIG_KEEPER_H
#define OVLMIG_KEEPER_H

#include <stdbool.h>

#include "../common/error.h"

/* Listen on STATE_DIR/keeper.sock and start the keeper; the socket path. */
char *keeper_start(const char *state_dir, struct error **err);

/*
 * Is a keeper running for STATE_DIR? It holds a lock on STATE/keeper.lock
 * for its whole life (the kernel drops it however the keeper ends).
 */
bool keeper_alive(const char *state_dir);

/*
 * The keeper's life (`ovlmig keep STATE_DIR`, started by keeper_start):
 * hold the connection lowerfs sends, restart a lowerfs that crashes.
 * Returns 0 when lowerfs ends normally or a restart fails (logged), 1
 * when no connection ever came (logged), -1 when the state cannot be read.
 */
int keeper_run(const char *state_dir, struct error **err);

#endif
