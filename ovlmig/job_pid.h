/* SPDX-License-Identifier: MIT */
/*
 * STATE/job.pid: which process is the job of a mount, so that poststop
 * can stop a job the hook started as a worker. A job killed with SIGKILL
 * leaves the file behind, and its pid may belong to any process later: so
 * the file holds the pid and the process's start time (/proc/PID/stat),
 * and a process is stopped only if it still has both and runs `ovlmig job`
 * (or is exiting already: no cmdline left).
 */
#ifndef OVLMIG_JOB_PID_H
#define OVLMIG_JOB_PID_H

#include <sys/types.h>

#include "../common/error.h"

/* Record the calling process as the job of STATE_DIR. */
int job_pid_record(const char *state_dir, struct error **err);

enum job_stop {
	JOB_NONE,	/* no record, or its process is gone */
	JOB_STOPPED,	/* the job was killed (and waited for, up to 1 s) */
	JOB_NOT_OURS,	/* the pid is some other process now: left alone */
};

/* SIGKILL the recorded job of STATE_DIR if it is still that job; *PID: the pid recorded. */
int job_pid_stop(const char *state_dir, pid_t *pid, enum job_stop *what,
		 struct error **err);

#endif
