/* SPDX-License-Identifier: MIT */
/*
 * Waiting for a process to end without polling its pid. A process that
 * has ended counts as gone as soon as it is a zombie: it holds no files
 * (no FUSE connection, no mount) any more, and reaping it is its
 * parent's business (a daemon's parent is init, which may take a while).
 */
#ifndef OVLMIG_PID_WAIT_H
#define OVLMIG_PID_WAIT_H

#include <stdbool.h>
#include <sys/types.h>

/* A pidfd for PID, or -1 (errno; ESRCH: no such process). */
int pid_open(pid_t pid);
/* Send SIG through PIDFD when there is one (it cannot reach a successor), else to PID. */
int pid_signal(int pidfd, pid_t pid, int sig);
/* Wait up to TIMEOUT_MS for PID (PIDFD, or -1) to end; true once it has. */
bool pid_wait_exit(pid_t pid, int pidfd, int timeout_ms);

#endif
