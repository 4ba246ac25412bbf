// SPDX-License-Identifier: MIT
#include "job_pid.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../common/util.h"

#define PID_FILE "job.pid"
#define STARTTIME_FIELD 22	/* of /proc/PID/stat, see proc(5) */

/* Read /proc/PID/NAME into BUF (NUL-terminated); bytes read or -1. */
static ssize_t read_proc(pid_t pid, const char *name, char *buf, size_t size)
{
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read_full(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return n;
}

/* The start time of PID in clock ticks after boot: unique with the pid. */
static int start_time(pid_t pid, unsigned long long *out)
{
	char buf[4096], *p, *save = NULL, *tok;
	int field = 3;

	if (read_proc(pid, "stat", buf, sizeof(buf)) <= 0)
		return -1;
	/* "PID (COMM) STATE ...": COMM may hold spaces and ')' */
	p = strrchr(buf, ')');
	if (!p)
		return -1;
	for (tok = strtok_r(p + 1, " ", &save); tok; tok = strtok_r(NULL, " ", &save), field++) {
		if (field == STARTTIME_FIELD) {
			char *end;

			errno = 0;
			*out = strtoull(tok, &end, 10);
			return errno || end == tok ? -1 : 0;
		}
	}
	return -1;
}

/*
 * Could PID be `ovlmig job ...`? (argv[0] may be any path to ovlmig.) A
 * process that is exiting (or a zombie) has an empty cmdline: a job that
 * serve has just killed must still count, so that it is waited for.
 */
static bool may_run_job(pid_t pid)
{
	char buf[256];
	ssize_t n = read_proc(pid, "cmdline", buf, sizeof(buf));
	size_t len0;

	if (n == 0)
		return true;
	if (n < 0)
		return false;
	len0 = strlen(buf);
	return (size_t)n > len0 + 4 && !strcmp(buf + len0 + 1, "job");
}

int job_pid_record(const char *state_dir, struct error **err)
{
	char *path = path_join(state_dir, PID_FILE), line[64];
	unsigned long long start;
	int fd, len, ret = -1;

	if (!path)
		return error_set(err, ENOMEM, "%s", PID_FILE);
	if (start_time(getpid(), &start) < 0) {
		error_set(err, errno ? errno : EIO, "read /proc/%d/stat", (int)getpid());
		goto out;
	}
	len = snprintf(line, sizeof(line), "%d %llu\n", (int)getpid(), start);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 || write_all(fd, line, (size_t)len) < 0) {
		error_set(err, errno, "write %s", path);
		if (fd >= 0)
			close(fd);
		goto out;
	}
	if (close(fd) < 0) {
		error_set(err, errno, "write %s", path);
		goto out;
	}
	ret = 0;
out:
	free(path);
	return ret;
}

int job_pid_stop(const char *state_dir, pid_t *pid, enum job_stop *what,
		 struct error **err)
{
	char *path = path_join(state_dir, PID_FILE), buf[64];
	unsigned long long recorded, now;
	struct pollfd p = { .events = POLLIN };
	ssize_t n;
	int fd, ipid;

	*what = JOB_NONE;
	*pid = 0;
	if (!path)
		return error_set(err, ENOMEM, "%s", PID_FILE);
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	n = fd >= 0 ? read_full(fd, buf, sizeof(buf) - 1) : -1;
	if (fd >= 0)
		close(fd);
	if (n < 0) {
		int e = errno;

		free(path);
		return e == ENOENT ? 0 : error_set(err, e, "read %s/%s", state_dir, PID_FILE);
	}
	free(path);
	buf[n] = '\0';
	/* no start time (or garbage): nothing says which process it was */
	if (sscanf(buf, "%d %llu", &ipid, &recorded) != 2 || ipid <= 1) {
		*what = JOB_NOT_OURS;
		return 0;
	}
	*pid = ipid;
	/* the pidfd first: then a process with the recorded start time is
	 * the one it refers to, and the signal cannot reach a successor */
	p.fd = (int)syscall(SYS_pidfd_open, ipid, 0);
	if (p.fd < 0)
		return errno == ESRCH ? 0 : error_set(err, errno, "pidfd_open %d", ipid);
	/*
	 * A job serve has just killed may show as a zombie while its threads
	 * still hold the mount: it is still ours to wait for, so a zombie is
	 * not "gone" here; only the pidfd tells when the whole job is.
	 */
	if (start_time(ipid, &now) < 0) {
		close(p.fd);
		return 0;
	}
	if (now != recorded || !may_run_job(ipid)) {
		*what = JOB_NOT_OURS;
		close(p.fd);
		return 0;
	}
	if (syscall(SYS_pidfd_send_signal, p.fd, SIGKILL, NULL, 0) < 0) {
		int e = errno;

		close(p.fd);
		return e == ESRCH ? 0 : error_set(err, e, "kill job %d", ipid);
	}
	*what = JOB_STOPPED;
	/* let it release the mount before the caller unmounts */
	while (poll(&p, 1, 1000) < 0 && errno == EINTR)
		;
	close(p.fd);
	return 0;
}
