/* SPDX-License-Identifier: MIT */
/* The image store's lock files (store.h lists them). */
#ifndef OVLMIG_STORE_LOCK_H
#define OVLMIG_STORE_LOCK_H

#include <stdbool.h>

#include "../common/error.h"

/*
 * DIR/NAME (made if missing) open and flock()ed with HOW (LOCK_SH,
 * LOCK_EX, | LOCK_NB): 0 taken, 1 busy (LOCK_NB only), -1 with *ERR
 * naming the lock's path. The fd in *FD, -1 unless taken.
 */
int store_lock(const char *dir, const char *name, int how, int *fd,
	       struct error **err);

/* Take DIR's use.lock: shared (LOCK_SH) for users, or exclusive without
 * waiting for gc (0 taken, 1 in use). Returns the fd in *FD. */
int store_use_lock(const char *dir, bool exclusive, int *fd, struct error **err);

#endif
