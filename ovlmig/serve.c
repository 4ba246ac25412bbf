// SPDX-License-Identifier: MIT
#include "serve.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../common/fsutil.h"
#include "../common/util.h"
#include "job.h"
#include "serve_http.h"
#include "state.h"
#include "status.h"
#include "status_keys.h"

#define MAX_JOBS 256

/* the protocol (serve.h): ops and keys */
#define OP_REGISTER	"register"
#define OP_STOP		"stop"
#define OP_STATUS	"status"
#define KEY_OP		"op"
#define KEY_TARGET	"target"
#define KEY_OK		"ok"
#define KEY_ERROR	"error"
#define KEY_WAS_RUNNING	"was_running"

struct running {
	pid_t pid;
	char *target;
};

static struct running jobs[MAX_JOBS];

char *serve_socket_path(void)
{
	return path_join(state_root(), "ovlmig.sock");
}

static struct running *job_of(const char *target)
{
	int i;

	for (i = 0; i < MAX_JOBS; i++)
		if (jobs[i].pid > 0 && !strcmp(jobs[i].target, target))
			return &jobs[i];
	return NULL;
}

static int start_job(const char *dir, const char *target, struct error **err)
{
	struct running *r = job_of(target);
	int i;
	pid_t pid;

	if (r)
		return 0;	/* already running */
	for (i = 0; i < MAX_JOBS && jobs[i].pid > 0; i++)
		;
	if (i == MAX_JOBS)
		return error_set(err, EAGAIN, "too many jobs");
	pid = job_spawn(dir, target, false, err);
	if (pid < 0)
		return -1;
	jobs[i].pid = pid;
	jobs[i].target = strdup(target);
	log_line("ovlmig serve", "started job %d for %s", (int)pid, target);
	return 0;
}

static void reap(void)
{
	int status, i;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (i = 0; i < MAX_JOBS; i++) {
			if (jobs[i].pid != pid)
				continue;
			log_line("ovlmig serve", "job %d for %s ended: %s %d", (int)pid, jobs[i].target,
			     WIFEXITED(status) ? "exit" : "signal",
			     WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
			free(jobs[i].target);
			jobs[i].pid = 0;
			jobs[i].target = NULL;
		}
	}
}

/* Is there anything left to do for the job recorded in DIR? */
static bool job_pending(const char *dir, const struct mount_state *s)
{
	struct error *err = NULL;
	struct job j;
	bool pending;

	if (job_load(dir, &j, &err) < 0) {
		error_free(&err);
		return false;
	}
	pending = j.migrate && s->phase != PHASE_DETACHED &&
		  (j.detach_auto || s->phase != PHASE_MIGRATED);
	job_free(&j);
	return pending;
}

/* A restarted serve picks up every unfinished job it finds. */
static int resume_one(const char *dir, struct mount_state *s, void *arg)
{
	struct error *err = NULL;

	(void)arg;
	if (job_pending(dir, s) && start_job(dir, s->target, &err) < 0)
		error_report(&err, "ovlmig serve: resume", stderr);
	return 0;
}

static json_t *handle(json_t *req)
{
	const char *op = json_string_value(json_object_get(req, KEY_OP));
	const char *target = json_string_value(json_object_get(req, KEY_TARGET));
	struct error *err = NULL;
	struct mount_state s;
	struct running *r;
	char *dir = NULL;
	json_t *reply;

	if (!op)
		return json_pack("{s:s}", KEY_ERROR, "no op");
	if (!strcmp(op, OP_STATUS)) {
		json_t *list = json_array();

		if (list && status_all(list, &err) < 0)
			error_free(&err);	/* what could be read */
		return json_pack("{s:o}", STATUS_MOUNTS, list);
	}
	if (strcmp(op, OP_REGISTER) && strcmp(op, OP_STOP))
		return json_pack("{s:s+}", KEY_ERROR, "unknown op ", op);
	if (!target || state_find(target, &dir, &s, &err) < 0) {
		reply = json_pack("{s:s}", KEY_ERROR, err ? err->msg : "no target");
		error_free(&err);
		return reply;
	}
	if (!strcmp(op, OP_REGISTER)) {
		if (job_pending(dir, &s) && start_job(dir, s.target, &err) < 0) {
			reply = json_pack("{s:s}", KEY_ERROR, err->msg);
			error_free(&err);
		} else {
			reply = json_pack("{s:b}", KEY_OK, 1);
		}
	} else {
		r = job_of(s.target);
		if (r) {
			kill(r->pid, SIGKILL);	/* resumable: nothing half done */
			log_line("ovlmig serve", "stopped job %d for %s", (int)r->pid, s.target);
		}
		reply = json_pack("{s:b, s:b}", KEY_OK, 1, KEY_WAS_RUNNING, r != NULL);
	}
	state_free(&s);
	free(dir);
	return reply;
}

static unsigned jobs_running(void)
{
	unsigned n = 0;
	int i;

	for (i = 0; i < MAX_JOBS; i++)
		n += jobs[i].pid > 0;
	return n;
}

/* The first line of a request on FD into BUF (CAP bytes, NUL-terminated). */
static size_t read_request(int fd, char *buf, size_t cap)
{
	struct timeval tv = { .tv_sec = 2 };
	size_t used = 0;
	ssize_t n;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	while (used < cap - 1) {
		n = read(fd, buf + used, cap - 1 - used);
		if (n <= 0)
			break;
		used += (size_t)n;
		if (memchr(buf, '\n', used))
			break;
	}
	buf[used] = '\0';
	return used;
}

static void serve_client(int fd)
{
	char buf[8192];
	size_t used = read_request(fd, buf, sizeof(buf));
	json_t *req, *reply;
	char *text;

	if (serve_http_is_request(buf)) {
		serve_http_answer(fd, buf, used, sizeof(buf), jobs_running());
		return;
	}
	req = json_loads(buf, JSON_DISABLE_EOF_CHECK, NULL);
	reply = req && json_is_object(req) ? handle(req) :
		json_pack("{s:s}", KEY_ERROR, "malformed request");
	json_decref(req);
	text = reply ? json_dumps(reply, JSON_COMPACT) : NULL;
	json_decref(reply);
	if (text && (write_all(fd, text, strlen(text)) < 0 || write_all(fd, "\n", 1) < 0))
		log_line("ovlmig serve", "reply: %s", strerror(errno));
	free(text);
}

/* --metrics-listen: metrics only, whatever is asked */
static void serve_metrics_client(int fd)
{
	char buf[8192];
	size_t used = read_request(fd, buf, sizeof(buf));

	serve_http_answer(fd, buf, used, sizeof(buf), jobs_running());
}

static int listen_on(const char *path, struct error **err)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	mode_t old;
	int fd, rc;

	if (strlen(path) >= sizeof(addr.sun_path))
		return error_set(err, ENAMETOOLONG, "%s", path);
	strcpy(addr.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return error_set(err, errno, "socket");
	/* one serve at a time: a socket that answers belongs to another */
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0) {
		close(fd);
		return error_set(err, EADDRINUSE, "%s: another ovlmig serve runs", path);
	}
	unlink(path);
	old = umask(0177);
	rc = bind(fd, (struct sockaddr *)&addr, sizeof(addr));
	umask(old);
	if (rc < 0 || listen(fd, 32) < 0) {
		error_set(err, errno, "listen on %s", path);
		close(fd);
		return -1;
	}
	return fd;
}

/* A client on the listening socket LFD, answered by FN. */
static void accept_one(int lfd, void (*fn)(int fd))
{
	int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

	if (c >= 0) {
		fn(c);
		close(c);
	}
}

int serve_run(const char *metrics_listen, struct error **err)
{
	char *path = serve_socket_path();
	struct error *resume_err = NULL;
	struct pollfd p[3];
	sigset_t sigs;
	int lfd, sfd, mfd = -1, i;

	if (!path)
		return error_set(err, ENOMEM, "serve socket");
	if (metrics_listen) {
		mfd = serve_http_listen(metrics_listen, err);
		if (mfd < 0) {
			free(path);
			return error_wrap(err, "--metrics-listen");
		}
	}
	if (make_dirs(state_root(), 0700, err) < 0 ||
	    (lfd = listen_on(path, err)) < 0) {
		if (mfd >= 0)
			close(mfd);
		free(path);
		return -1;
	}
	signal(SIGPIPE, SIG_IGN);	/* a client gone before its reply */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGCHLD);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	sfd = signalfd(-1, &sigs, SFD_CLOEXEC);
	log_line("ovlmig serve", "listening on %s", path);
	if (mfd >= 0)
		log_line("ovlmig serve", "metrics on http://%s/metrics", metrics_listen);
	if (state_each(resume_one, NULL, &resume_err) < 0)
		error_report(&resume_err, "ovlmig serve: resume", stderr);
	p[0] = (struct pollfd){ lfd, POLLIN, 0 };
	p[1] = (struct pollfd){ sfd, POLLIN, 0 };
	p[2] = (struct pollfd){ mfd, POLLIN, 0 };	/* -1: poll skips it */
	for (;;) {
		if (poll(p, 3, -1) < 0 && errno != EINTR)
			break;
		if (p[1].revents) {
			struct signalfd_siginfo si;

			if (read(sfd, &si, sizeof(si)) == sizeof(si) &&
			    si.ssi_signo != SIGCHLD) {
				log_line("ovlmig serve", "signal %d: stopping; jobs resume at the next start",
				     (int)si.ssi_signo);
				break;
			}
			reap();
		}
		if (p[0].revents)
			accept_one(lfd, serve_client);
		if (p[2].revents)
			accept_one(mfd, serve_metrics_client);
	}
	for (i = 0; i < MAX_JOBS; i++) {
		if (jobs[i].pid > 0) {
			kill(jobs[i].pid, SIGKILL);
			waitpid(jobs[i].pid, NULL, 0);
		}
		free(jobs[i].target);
	}
	close(lfd);
	if (mfd >= 0)
		close(mfd);
	unlink(path);
	free(path);
	return 0;
}

json_t *serve_call(json_t *req, int timeout_ms, struct error **err)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
	char *path = serve_socket_path(), *text = NULL, buf[65536];
	json_t *reply = NULL;
	size_t used = 0;
	ssize_t n;
	int fd = -1;

	if (!path || strlen(path) >= sizeof(addr.sun_path)) {
		error_set(err, ENAMETOOLONG, "serve socket");
		goto out;
	}
	strcpy(addr.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		error_set(err, errno, "connect %s", path);
		goto out;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	text = json_dumps(req, JSON_COMPACT);
	if (!text || write_all(fd, text, strlen(text)) < 0 || write_all(fd, "\n", 1) < 0) {
		error_set(err, errno ? errno : ENOMEM, "send to %s", path);
		goto out;
	}
	while (used < sizeof(buf) - 1 && (n = read(fd, buf + used, sizeof(buf) - 1 - used)) > 0)
		used += (size_t)n;
	buf[used] = '\0';
	reply = json_loads(buf, 0, NULL);
	if (!reply)
		error_set(err, EPROTO, "no reply from %s", path);
out:
	if (fd >= 0)
		close(fd);
	free(text);
	free(path);
	return reply;
}

/* OP on TARGET; -1 when no serve answers or it answers an error */
static int call_op(const char *op, const char *target, int timeout_ms,
		   struct error **err)
{
	json_t *req = json_pack("{s:s, s:s}", KEY_OP, op, KEY_TARGET, target);
	json_t *reply = req ? serve_call(req, timeout_ms, err) : NULL;
	int ret = 0;

	if (!req) {
		ret = error_set(err, ENOMEM, "%s %s", op, target);
	} else if (!reply) {
		ret = -1;
	} else if (!json_is_true(json_object_get(reply, KEY_OK))) {
		const char *why = json_string_value(json_object_get(reply, KEY_ERROR));

		ret = error_set(err, EPROTO, "%s", why ? why : "no reply");
	}
	json_decref(req);
	json_decref(reply);
	return ret;
}

int serve_register(const char *target, int timeout_ms, struct error **err)
{
	return call_op(OP_REGISTER, target, timeout_ms, err);
}

int serve_stop(const char *target, int timeout_ms, struct error **err)
{
	return call_op(OP_STOP, target, timeout_ms, err);
}
