/* SPDX-License-Identifier: MIT */
/*
 * The filler's keeper: the process that holds the fanotify group, reads
 * its events and answers them, and hands each one (its fd, over a unix
 * socket) to a worker process that fills (fan_worker.h). A worker that
 * dies is started again and gets every event it had not answered: the
 * reader waits a moment and then reads the right bytes. The group (and
 * so every mark) lives as long as the keeper; if the keeper dies too,
 * the kernel allows what is pending and a reader of an unfilled file
 * reads its empty placeholder: a short read, never zeros.
 */
#ifndef OVLMIG_FAN_KEEPER_H
#define OVLMIG_FAN_KEEPER_H

#include "../common/error.h"
#include "fan_group.h"
#include "state.h"

/* the worker's PID, for tests and for status */
#define FAN_WORKER_PID "filler-worker.pid"

/*
 * Serve group G, marked as M says, for S (state in STATE_DIR) with a
 * worker on STOREFD, the first one telling READY. With a filesystem
 * mark, an event for a file that is not a tagged placeholder of this
 * store (fan_tag.h) is allowed at once, without the worker. Returns when
 * the worker cannot be started, or never got ready (-1), or when told to
 * stop (SIGTERM, fan_filler_stop: 0); always with its worker reaped, so
 * that what the worker held (the cache, fan_filler.c) is let go before
 * the keeper exits and filler.lock with it.
 */
int fan_keeper_run(const char *state_dir, const struct mount_state *s, int g,
		   int storefd, const struct fan_marks *m, int ready,
		   struct error **err);

#endif
