// SPDX-License-Identifier: MIT
#include "keeper.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../common/fsutil.h"
#include "../common/util.h"
#include "lowerfs_exec.h"
#include "mount_events.h"
#include "state.h"

#define LISTEN_FD 3	/* the keeper inherits its listening socket here */

char *keeper_start(const char *state_dir, struct error **err)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	char *path = path_join(state_dir, "keeper.sock");
	mode_t old;
	pid_t pid;
	int fd;

	if (!path || strlen(path) >= sizeof(addr.sun_path)) {
		error_set(err, ENAMETOOLONG, "keeper socket in %s", state_dir);
		free(path);
		return NULL;
	}
	strcpy(addr.sun_path, path);
	unlink(path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	old = umask(0177);
	if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
	    listen(fd, 4) < 0) {
		umask(old);
		error_set(err, errno, "keeper socket %s", path);
		if (fd >= 0)
			close(fd);
		free(path);
		return NULL;
	}
	umask(old);
	pid = fork();
	if (pid == 0) {
		/* its own session, nothing inherited but the socket */
		if (setsid() < 0 || fork() != 0)
			_exit(0);
		if (fd == LISTEN_FD)	/* dup2 onto itself keeps close-on-exec */
			fcntl(fd, F_SETFD, 0);
		else
			dup2(fd, LISTEN_FD);
		close_range(LISTEN_FD + 1, ~0U, 0);
		int null = open("/dev/null", O_RDWR);
		char *log = path_join(state_dir, "keeper.log");
		int lfd = log ? open(log, O_WRONLY | O_CREAT | O_APPEND, 0600) : -1;

		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
		dup2(lfd >= 0 ? lfd : null, STDERR_FILENO);
		execl("/proc/self/exe", "ovlmig", "keep", state_dir, (char *)NULL);
		_exit(127);
	}
	close(fd);
	if (pid < 0) {
		error_set(err, errno, "start keeper");
		free(path);
		return NULL;
	}
	waitpid(pid, NULL, 0);
	return path;
}

/* The connection and the pid of the lowerfs that sent it. */
static int receive(int *devfd, pid_t *pid)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { pid, sizeof(*pid) };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct pollfd p = { LISTEN_FD, POLLIN, 0 };
	struct cmsghdr *cm;
	int c;

	/* a mount killed before lowerfs ran: give up once its state is gone */
	for (int i = 0; i < 30 && poll(&p, 1, 1000) == 0; i++)
		if (access(".", F_OK) < 0)
			return -1;
	if (!(p.revents & POLLIN))
		return -1;
	c = accept4(LISTEN_FD, NULL, NULL, SOCK_CLOEXEC);
	if (c < 0 || recvmsg(c, &msg, MSG_CMSG_CLOEXEC) != sizeof(*pid)) {
		if (c >= 0)
			close(c);
		return -1;
	}
	close(c);
	cm = CMSG_FIRSTHDR(&msg);
	if (!cm || cm->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(devfd, CMSG_DATA(cm), sizeof(int));
	return 0;
}

static bool exists(const char *dir, const char *name)
{
	char *p = path_join(dir, name);
	bool yes = p && access(p, F_OK) == 0;

	free(p);
	return yes;
}

/* A new lowerfs on the same connection; its pid, or -1. */
static pid_t restart(const struct mount_state *s, const char *run, int devfd)
{
	char *bin = lowerfs_binary();
	pid_t child, pid = -1;
	int status;

	if (!bin)
		return -1;
	child = fork();
	if (child == 0) {
		if (devfd == 3)		/* dup2 onto itself keeps close-on-exec */
			fcntl(devfd, F_SETFD, 0);
		else
			dup2(devfd, 3);
		char **argv = lowerfs_argv(s, bin, run, "--takeover-fd", "3");

		if (argv)
			execv(bin, argv);
		_exit(127);
	}
	if (child > 0 && waitpid(child, &status, 0) == child &&
	    WIFEXITED(status) && WEXITSTATUS(status) == 0)
		pid = (pid_t)lowerfs_read_pid(run);
	free(bin);
	return pid > 0 ? pid : -1;
}

/*
 * The state as the mount left it, for a restart with the first lowerfs'
 * arguments: the keeper starts before lowerfs, and a strategy may record
 * more after it (store: the image's directory, --store-image, known once
 * the image is open). Kept as it was if it cannot be read now.
 */
static void reload(struct mount_state *s)
{
	struct error *err = NULL;
	struct mount_state now;

	/* the keeper runs in the state directory */
	if (state_load(".", &now, &err) < 0) {
		log_line("ovlmig keep", "%s: restarting with the state read at start", err->msg);
		error_free(&err);
		return;
	}
	state_free(s);
	*s = now;
}

#define LOCK_FILE "keeper.lock"

bool keeper_alive(const char *state_dir)
{
	char *path = path_join(state_dir, LOCK_FILE);
	int fd = path ? open(path, O_RDONLY | O_CLOEXEC) : -1;
	bool alive = false;

	free(path);
	if (fd < 0)
		return false;	/* no keeper ever ran */
	if (flock(fd, LOCK_SH | LOCK_NB) < 0)
		alive = errno == EWOULDBLOCK;
	close(fd);
	return alive;
}

/* Held until exit: `ovlmig status` tells a dead lower from a restarting one. */
static void hold_lock(void)
{
	int fd = open(LOCK_FILE, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

	if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0)
		log_line("ovlmig keep", "lock %s: %s", LOCK_FILE, strerror(errno));
}

int keeper_run(const char *state_dir, struct error **err)
{
	struct mount_state s;
	char *run;
	bool ready;
	int devfd;
	pid_t pid;

	if (state_load(state_dir, &s, err) < 0)
		return -1;
	run = lower_run_dir(state_dir);
	/* in the state dir, so "." disappears with it (see receive()) */
	ready = run && chdir(state_dir) == 0;
	if (ready)
		hold_lock();
	if (!ready || receive(&devfd, &pid) < 0) {
		log_line("ovlmig keep", "no connection received");
		free(run);
		state_free(&s);
		return 1;
	}
	close(LISTEN_FD);
	log_line("ovlmig keep", "holding the FUSE connection of lowerfs %d", (int)pid);
	for (;;) {
		int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
		struct pollfd p = { pfd, POLLIN, 0 };

		/* wait for lowerfs to end, looking at the mount now and then */
		while (pfd >= 0 && poll(&p, 1, 1000) == 0)
			if (is_mountpoint(s.lower) == 0)
				break;
		if (pfd >= 0)
			close(pfd);
		/* "not mounted" only when the mount table says so for sure */
		if (exists(run, "exited") || is_mountpoint(s.lower) == 0) {
			log_line("ovlmig keep", "lowerfs ended normally: done");
			break;
		}
		if (pfd >= 0 && kill(pid, 0) == 0)
			continue;
		log_line("ovlmig keep", "lowerfs %d died: starting another on the same connection", (int)pid);
		reload(&s);
		pid = restart(&s, run, devfd);
		if (pid <= 0) {
			log_line("ovlmig keep", "restart failed: giving up");
			break;
		}
		log_line("ovlmig keep", "lowerfs %d took over", (int)pid);
		events_lowerfs_restarted(".");	/* the state dir: see receive() */
	}
	close(devfd);
	free(run);
	state_free(&s);
	return 0;
}
