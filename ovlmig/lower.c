// SPDX-License-Identifier: MIT
#include "lower.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../common/util.h"
#include "keeper.h"
#include "lowerfs_exec.h"
#include "pid_wait.h"

int lower_spawn(struct mount_state *s, const char *state_dir, pid_t *child,
		struct error **err)
{
	char *bin = lowerfs_binary(), *run = lower_run_dir(state_dir), *keeper = NULL;
	int ret = -1;
	pid_t pid;

	*child = 0;
	if (!bin || !run) {
		error_set(err, ENOMEM, "start lowerfs");
		goto out;
	}
	if (mkdir(s->lower, 0700) < 0 && errno != EEXIST) {
		error_set(err, errno, "create %s", s->lower);
		goto out;
	}
	keeper = keeper_start(state_dir, err);
	if (!keeper)
		goto out;
	pid = fork();
	if (pid < 0) {
		error_set(err, errno, "fork");
		goto out;
	}
	if (pid == 0) {
		/* lowerfs daemonizes; this child exits once it is mounted */
		/* export support: overlayfs index=on needs it of every layer */
		char **argv = lowerfs_argv(s, bin, run, "--keeper", keeper);

		if (argv)
			execvp(bin, argv);
		fprintf(stderr, "ovlmig: exec %s: %s\n", bin, strerror(errno));
		_exit(127);
	}
	*child = pid;
	ret = 0;
out:
	free(keeper);
	free(bin);
	free(run);
	return ret;
}

int lower_wait(struct mount_state *s, const char *state_dir, pid_t child,
	       struct error **err)
{
	char *run = lower_run_dir(state_dir);
	int status, ret = -1;

	while (waitpid(child, &status, 0) < 0) {
		if (errno != EINTR) {
			error_set(err, errno, "wait for lowerfs");
			goto out;
		}
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		error_set(err, 0, "lowerfs %s %s failed (exit %d; see above)",
			  s->source, s->lower,
			  WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		goto out;
	}
	if (!run) {
		error_set(err, ENOMEM, "start lowerfs");
		goto out;
	}
	s->lowerfs_pid = lowerfs_read_pid(run);
	s->own_lower = true;
	ret = 0;
out:
	free(run);
	return ret;
}

int lower_start(struct mount_state *s, const char *state_dir,
		struct error **err)
{
	pid_t child;

	if (lower_spawn(s, state_dir, &child, err) < 0)
		return -1;
	return lower_wait(s, state_dir, child, err);
}

/* All of /proc/PID/FILE, malloc'd (a command line has no fixed bound). */
static char *read_proc_file(long pid, const char *file, size_t *len)
{
	char path[64], *buf = NULL, *bigger;
	size_t cap = 0, n = 0;
	ssize_t got;
	int fd;

	snprintf(path, sizeof(path), "/proc/%ld/%s", pid, file);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	do {
		if (n == cap) {
			cap = cap ? cap * 2 : 4096;
			if (!(bigger = realloc(buf, cap + 1)))
				goto fail;
			buf = bigger;
		}
		got = read_full(fd, buf + n, cap - n);
		if (got < 0)
			goto fail;
		n += (size_t)got;
	} while (n == cap);
	close(fd);
	buf[n] = '\0';
	*len = n;
	return buf;
fail:
	close(fd);
	free(buf);
	return NULL;
}

/* A lowerfs on its way out: no command line left, only its name. */
static bool is_exiting_lowerfs(long pid)
{
	size_t n = 1;
	char *cmd = read_proc_file(pid, "cmdline", &n);
	bool yes = cmd && n == 0;

	free(cmd);
	if (!yes)
		return false;
	cmd = read_proc_file(pid, "comm", &n);
	yes = cmd && !strcmp(cmd, "lowerfs\n");
	free(cmd);
	return yes;
}

/*
 * Is PID the lowerfs serving LOWER with run dir RUN? Its command line has
 * the shape lowerfs_argv makes: "--run-dir RUN ... LOWER" (read whole:
 * absolute paths make it long). One that is exiting is not: it serves
 * nothing any more.
 */
static bool is_our_lowerfs(long pid, const char *lower, const char *run)
{
	size_t n = 0;
	char *cmd = read_proc_file(pid, "cmdline", &n), *arg, *last = NULL;
	bool run_dir = false, yes;

	if (!cmd || n == 0 || cmd[n - 1] != '\0') {
		free(cmd);
		return false;
	}
	for (arg = cmd; arg < cmd + n; arg += strlen(arg) + 1) {
		if (last && !strcmp(last, "--run-dir") && !strcmp(arg, run))
			run_dir = true;
		last = arg;
	}
	yes = run_dir && last && !strcmp(last, lower);
	free(cmd);
	return yes;
}

/*
 * The lowerfs of S: the recorded pid, or (a mount killed before it could
 * record it) the one in its run dir; checked to really be that lowerfs.
 */
pid_t lowerfs_pid(const struct mount_state *s)
{
	char *copy = s->lower ? strdup(s->lower) : NULL, *run = NULL;
	long pid = 0;

	/* the pid file first: a lowerfs restarted by the keeper writes it */
	if (copy && (run = path_join(dirname(copy), "lowerfs")))
		pid = lowerfs_read_pid(run);
	if (pid <= 0)
		pid = s->lowerfs_pid;
	free(copy);
	/* a reused pid is not ours */
	if (pid > 0 && (!run || !is_our_lowerfs(pid, s->lower, run)))
		pid = 0;
	free(run);
	return (pid_t)pid;
}

int lower_alive(const struct mount_state *s)
{
	return s->own_lower && lowerfs_pid(s) > 0;
}

static void lowerfs_log_note(const struct mount_state *s, const char *what)
{
	fprintf(stderr, "ovlmig: lowerfs %ld for %s %s\n", s->lowerfs_pid,
		s->target, what);
}

void lower_stop(struct mount_state *s)
{
	/* checked now: after a takeover the recorded pid is the dead one's,
	 * and a pid that is not our lowerfs any more is nobody to signal */
	pid_t pid = s->own_lower ? lowerfs_pid(s) : 0;
	int pfd = pid > 0 ? pid_open(pid) : -1;

	/* checked again once the pidfd pins the process: the pid could have
	 * been taken over between the check and pid_open */
	if (pfd >= 0 && lowerfs_pid(s) != pid)
		pid = 0;
	if (pid > 0) {
		s->lowerfs_pid = pid;
		pid_signal(pfd, pid, SIGTERM);
		/* gone once it has exited: waiting for init to reap the zombie
		 * took a second here, and a zombie holds no FUSE fd */
		if (!pid_wait_exit(pid, pfd, 5000)) {
			lowerfs_log_note(s, "did not stop within 5 s of SIGTERM: SIGKILL");
			pid_signal(pfd, pid, SIGKILL);
			pid_wait_exit(pid, pfd, 5000);
		}
	}
	if (pfd >= 0)
		close(pfd);
	/* whatever is left mounted there (also a killed daemon's mount) */
	if (s->own_lower)
		umount2(s->lower, MNT_DETACH);
	/* one that was already on its way out ends once its mount is gone:
	 * callers count on it being gone when this returns */
	if (s->lowerfs_pid > 0 && is_exiting_lowerfs(s->lowerfs_pid)) {
		pfd = pid_open(s->lowerfs_pid);
		if (pfd >= 0 || errno != ESRCH)
			pid_wait_exit(s->lowerfs_pid, pfd, 5000);
		if (pfd >= 0)
			close(pfd);
	}
}
