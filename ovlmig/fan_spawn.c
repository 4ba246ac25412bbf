// SPDX-License-Identifier: MIT
#include "fan_spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../common/util.h"
#include "fan_filler.h"

/* In the grandchild: fds 0-2 and READY only, then the filler. */
static void exec_filler(const char *state_dir, int ready)
{
	char *log = path_join(state_dir, FAN_FILLER_LOG);
	int null = open("/dev/null", O_RDWR);
	int lfd = log ? open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600) : -1;

	if (null < 0 || dup2(ready, FAN_FILLER_READY_FD) < 0 ||
	    dup2(null, STDIN_FILENO) < 0 || dup2(null, STDOUT_FILENO) < 0 ||
	    dup2(lfd >= 0 ? lfd : null, STDERR_FILENO) < 0)
		_exit(127);
	close_range(FAN_FILLER_READY_FD + 1, ~0U, 0);
	execl("/proc/self/exe", "ovlmig", "fanfill", state_dir, (char *)NULL);
	_exit(127);
}

/* What the filler said on its ready pipe R, until it closed it. */
static int wait_ready(int r, struct error **err)
{
	char msg[1024];
	size_t len = 0;
	ssize_t n;

	while (len < sizeof(msg) - 1) {
		n = read(r, msg + len, sizeof(msg) - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		if (len >= 3 && !memcmp(msg, "ok\n", 3))
			return 0;
	}
	msg[len] = '\0';
	if (len && msg[len - 1] == '\n')
		msg[len - 1] = '\0';
	return error_set_msg(err, EIO, "fanotify filler: %s",
			     len ? msg : "exited before it was ready");
}

int fan_filler_start(const char *state_dir, struct error **err)
{
	int p[2], status, ret;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return error_set(err, errno, "start the fanotify filler");
	pid = fork();
	if (pid == 0) {
		/* its own session, not the mount's child: it outlives it */
		if (setsid() < 0 || fork() != 0)
			_exit(0);
		exec_filler(state_dir, p[1]);
	}
	close(p[1]);
	if (pid < 0) {
		close(p[0]);
		return error_set(err, errno, "start the fanotify filler");
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	ret = wait_ready(p[0], err);
	close(p[0]);
	return ret;
}

/* STATE_DIR/filler.lock, open; -1 if there is none. */
static int open_lock(const char *state_dir)
{
	char *path = path_join(state_dir, FAN_FILLER_LOCK);
	int fd = path ? open(path, O_RDONLY | O_CLOEXEC) : -1;

	free(path);
	return fd;
}

static bool held(int lockfd)
{
	return flock(lockfd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK;
}

bool fan_filler_alive(const char *state_dir)
{
	int fd = open_lock(state_dir);
	bool alive = fd >= 0 && held(fd);

	if (fd >= 0)
		close(fd);
	return alive;
}

static pid_t recorded_pid(const char *state_dir)
{
	char *path = path_join(state_dir, FAN_FILLER_PID);
	FILE *f = path ? fopen(path, "re") : NULL;
	long pid = 0;

	if (f && fscanf(f, "%ld", &pid) != 1)
		pid = 0;
	if (f)
		fclose(f);
	free(path);
	return pid > 1 ? (pid_t)pid : 0;
}

void fan_filler_stop(const char *state_dir)
{
	int fd = open_lock(state_dir), i;
	pid_t pid = recorded_pid(state_dir);

	if (fd < 0)
		return;
	/*
	 * The lock says the recorded PID is still the filler's. Its worker
	 * holds the lock too (inherited): free, both are gone; at SIGTERM
	 * the keeper reaps its worker and lets the cache go before it exits
	 * (fan_keeper_run), so a free lock means a free cache too.
	 */
	if (pid && held(fd) && kill(pid, SIGTERM) == 0) {
		for (i = 0; i < 100 && held(fd); i++)
			usleep(50000);
		if (held(fd) && kill(pid, SIGKILL) == 0)
			for (i = 0; i < 100 && held(fd); i++)
				usleep(50000);
	}
	close(fd);
}
