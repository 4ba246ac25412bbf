// SPDX-License-Identifier: MIT
#include "pid_wait.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../common/util.h"

int pid_open(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

int pid_signal(int pidfd, pid_t pid, int sig)
{
	if (pidfd >= 0)
		return (int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0);
	return kill(pid, sig);
}

/* Without a pidfd: gone, or a zombie ("Z"/"X" after the command name). */
static bool pid_ended(pid_t pid)
{
	char path[64], buf[512], *paren;
	ssize_t n;
	int fd;

	if (kill(pid, 0) < 0 && errno == ESRCH)
		return true;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	/* the name may hold spaces and parentheses: the state follows the last ')' */
	paren = strrchr(buf, ')');
	return paren && paren[1] == ' ' && (paren[2] == 'Z' || paren[2] == 'X');
}

bool pid_wait_exit(pid_t pid, int pidfd, int timeout_ms)
{
	uint64_t end = now_ns() + (uint64_t)timeout_ms * 1000000;
	struct pollfd p = { pidfd, POLLIN, 0 };

	while (pidfd >= 0) {
		uint64_t now = now_ns();
		int rc = poll(&p, 1, now >= end ? 0 : (int)((end - now + 999999) / 1000000));

		if (rc > 0)
			return true;
		if (rc == 0)
			return false;
		if (errno != EINTR)
			break;	/* poll itself failed: look at the pid instead */
	}
	while (!pid_ended(pid)) {
		if (now_ns() >= end)
			return false;
		sleep_ns(10000000);
	}
	return true;
}
