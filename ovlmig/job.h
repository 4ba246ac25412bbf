/* SPDX-License-Identifier: MIT */
/*
 * A job: what to do with a mount for a container, from the annotations
 * the hook read: migrate or not, detach automatically or not, at what
 * bandwidth. Kept in STATE_DIR/job.json, so whoever runs it (ovlmig
 * serve, or the hook's fallback worker) and a restarted serve agree.
 */
#ifndef OVLMIG_JOB_H
#define OVLMIG_JOB_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "../common/error.h"
#include "state.h"

struct job {
	char *container;
	bool migrate;
	bool detach_auto;
	uint64_t bandwidth_mbps;
};

int job_save(const char *dir, const struct job *j, struct error **err);
int job_load(const char *dir, struct job *j, struct error **err);
void job_free(struct job *j);
/*
 * Start `ovlmig job TARGET` in the background, output to STATE/job.log.
 * DETACHED: a new session with every inherited fd closed, so nothing
 * holds a container runtime up; otherwise a child that dies with us.
 */
pid_t job_spawn(const char *dir, const char *target, bool detached,
		struct error **err);
/* Carry out J on the mount S in DIR (lock held): migrate, then detach
 * if auto. Resumable: what is done is not done again. */
int job_run(const char *dir, struct mount_state *s, const struct job *j,
	    struct error **err);

#endif
