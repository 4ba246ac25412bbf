// SPDX-License-Identifier: MIT
#include "fan_keeper.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../common/util.h"
#include "fan_group.h"
#include "fan_kernel.h"
#include "fan_peer.h"
#include "fan_range.h"
#include "fan_tag.h"
#include "fan_wire.h"
#include "fan_worker.h"

/* Restarts in a row without one answer: then the keeper denies (EIO). */
#define MAX_RESTARTS 5

struct pending {
	struct fan_ask ask;	/* its id, mask and range, for the worker */
	int fd;
	bool sent;	/* to the current worker */
};

struct keeper {
	const char *state_dir;
	const struct mount_state *s;
	const struct fan_marks *m;
	int g, storefd;
	pid_t worker;
	int sock;		/* to the worker; -1: none */
	struct pending *p;
	size_t n, cap;
	size_t unsent;		/* pending, not sent yet: the worker's queue was full */
	uint64_t next_id;
	unsigned restarts;	/* since the last answer */
};

static void record_worker(struct keeper *k)
{
	char *path = path_join(k->state_dir, FAN_WORKER_PID);
	FILE *f = path ? fopen(path, "we") : NULL;

	if (!f || fprintf(f, "%ld\n", (long)k->worker) < 0 || fclose(f) != 0)
		fprintf(stderr, "ovlmig fanfill: record the worker's pid: %s\n", strerror(errno));
	free(path);
}

/* SIGTERM: fan_filler_stop asks the keeper to stop (see fan_keeper_run). */
static volatile sig_atomic_t stop_asked;

static void on_term(int sig)
{
	(void)sig;
	stop_asked = 1;
}

/*
 * SIGTERM caught, and blocked but while the keeper waits in ppoll with
 * *WAIT_MASK (so it is never lost between a check and the wait).
 */
static int catch_term(sigset_t *wait_mask, struct error **err)
{
	struct sigaction sa = { .sa_handler = on_term };
	sigset_t term;

	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	if (sigemptyset(&sa.sa_mask) < 0 || sigaction(SIGTERM, &sa, NULL) < 0 ||
	    sigprocmask(SIG_BLOCK, &term, wait_mask) < 0)
		return error_set(err, errno, "catch SIGTERM");
	sigdelset(wait_mask, SIGTERM);
	return 0;
}

/* In a new worker: SIGTERM as it was before the keeper caught it. */
static int default_term(void)
{
	sigset_t term;

	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	if (signal(SIGTERM, SIG_DFL) == SIG_ERR)
		return -1;
	return sigprocmask(SIG_UNBLOCK, &term, NULL);
}

/* A worker started on a new socket; READY for the first one, else -1. */
static int start_worker(struct keeper *k, int ready, struct error **err)
{
	int sv[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return error_set(err, errno, "socketpair");
	pid = fork();
	if (pid < 0) {
		close(sv[0]);
		close(sv[1]);
		return error_set(err, errno, "start the filler's worker");
	}
	if (pid == 0) {
		struct error *werr = NULL;
		int rc;

		/* it goes with the keeper, however that ends */
		if (default_term() < 0 || prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() == 1)
			_exit(1);
		fan_peer_name_self();
		close(sv[0]);
		rc = fan_worker_run(k->s, k->g, k->storefd, k->m, sv[1], ready, &werr);
		if (rc < 0)
			error_report(&werr, "ovlmig fanfill worker", stderr);
		_exit(rc < 0 ? 1 : 0);
	}
	close(sv[1]);
	k->sock = sv[0];
	k->worker = pid;
	record_worker(k);
	return 0;
}

static void answer(struct keeper *k, size_t i, bool allow)
{
	if (fan_respond(k->g, k->p[i].fd, allow) < 0)
		fprintf(stderr, "ovlmig fanfill: answer an event: %s\n", strerror(errno));
	close(k->p[i].fd);
	if (!k->p[i].sent)
		k->unsent--;
	k->p[i] = k->p[--k->n];
}

/*
 * Pending events not sent yet, to the worker, until its queue is full
 * (then again at POLLOUT). Never waits: a worker that opens a file on a
 * store filesystem under a filesystem mark waits for this keeper.
 */
static void flush(struct keeper *k)
{
	size_t i = 0;

	while (i < k->n && k->unsent && k->sock >= 0) {
		if (k->p[i].sent) {
			i++;
		} else if (fan_wire_send_event(k->sock, &k->p[i].ask, k->p[i].fd) == 0) {
			k->p[i++].sent = true;
			k->unsent--;
		} else if (errno == EAGAIN || errno == EPIPE) {
			break;	/* full: POLLOUT says when; gone: its socket says so */
		} else {
			fprintf(stderr, "ovlmig fanfill: to the worker: %s\n", strerror(errno));
			answer(k, i, false);	/* EIO for the reader, not a hang */
		}
	}
}

/* Every event not answered yet, to the (new) worker. */
static void resend(struct keeper *k)
{
	for (size_t i = 0; i < k->n; i++)
		k->p[i].sent = false;
	k->unsent = k->n;
	flush(k);
}

/*
 * The worker is gone: reaped, and started again if it was killed (not if
 * it exited: it could not start, or lost the keeper) unless it keeps
 * dying. False: the keeper ends.
 */
static bool worker_gone(struct keeper *k)
{
	struct error *err = NULL;
	int status;

	close(k->sock);
	k->sock = -1;
	while (waitpid(k->worker, &status, 0) < 0 && errno == EINTR)
		;
	fprintf(stderr, "ovlmig fanfill: worker %ld ended (status %#x), %zu events pending\n",
		(long)k->worker, status, k->n);
	k->worker = 0;	/* reaped: its PID may be another process's now */
	if (WIFEXITED(status))
		return false;
	if (++k->restarts > MAX_RESTARTS) {
		fprintf(stderr, "ovlmig fanfill: the worker keeps dying: every event denied (EIO)\n");
		while (k->n)
			answer(k, k->n - 1, false);
		return true;
	}
	if (start_worker(k, -1, &err) < 0) {
		error_report(&err, "ovlmig fanfill", stderr);
		while (k->n)
			answer(k, k->n - 1, false);
		return true;
	}
	resend(k);
	return true;
}

/*
 * Does event FD need the worker? With inode marks every event is for a
 * placeholder; with a filesystem mark only a tagged placeholder of this
 * store (one fgetxattr) does: any other file is allowed at once and
 * ignored from now on (evictable: nothing pinned). A file the keeper
 * cannot judge goes to the worker, which allows what it does not know.
 */
static bool for_worker(struct keeper *k, int fd)
{
	struct stat st;

	if (!k->m->fs || fstat(fd, &st) < 0)
		return true;
	if (st.st_dev == k->m->dev && S_ISREG(st.st_mode) && fan_tag_is(fd, k->m->key) != 0)
		return true;
	if (fan_respond(k->g, fd, true) < 0)
		fprintf(stderr, "ovlmig fanfill: allow an event: %s\n", strerror(errno));
	fan_ignore_file(k->g, fd);
	close(fd);
	return false;
}

/*
 * A read of a placeholder filled by ranges far enough already: the
 * filled part is a verified prefix, so a read inside it is allowed at
 * once, without the worker (a sequential reader raises one event per
 * read, filled or not).
 */
static bool within_prefix(struct keeper *k, int fd, const struct fan_ask *a)
{
	struct stat st;

	if (!(a->mask & FAN_PRE_ACCESS) || (a->mask & FAN_OPEN_PERM) || !a->has_range ||
	    fstat(fd, &st) < 0 || a->count > UINT64_MAX - a->off ||
	    (uint64_t)st.st_size < a->off + a->count)
		return false;
	if (fan_respond(k->g, fd, true) < 0)
		fprintf(stderr, "ovlmig fanfill: allow an event: %s\n", strerror(errno));
	close(fd);
	return true;
}

static int read_events(struct keeper *k, struct error **err)
{
	char buf[16384] __attribute__((aligned(__alignof__(struct fanotify_event_metadata))));
	const struct fanotify_event_metadata *e;
	ssize_t n = read(k->g, buf, sizeof(buf));

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 0;
	if (n <= 0)
		return error_set(err, n < 0 ? errno : EIO, "read fanotify events");
	for (e = (void *)buf; FAN_EVENT_OK(e, n); e = FAN_EVENT_NEXT(e, n)) {
		struct fan_ask ask = { .mask = (uint32_t)e->mask };

		if (e->vers != FANOTIFY_METADATA_VERSION)
			return error_set(err, EPROTO, "fanotify event version %u", e->vers);
		if (e->fd < 0 || !for_worker(k, e->fd))
			continue;
		if (fan_peer_is_filler(e->pid)) {
			/* another filler of the store laying or filling it */
			if (fan_respond(k->g, e->fd, true) < 0)
				fprintf(stderr, "ovlmig fanfill: answer an event: %s\n", strerror(errno));
			close(e->fd);
			continue;
		}
		ask.has_range = fan_event_range(e, &ask.off, &ask.count);
		if (within_prefix(k, e->fd, &ask))
			continue;
		if (k->n == k->cap) {
			size_t cap = k->cap ? 2 * k->cap : 64;
			struct pending *p = reallocarray(k->p, cap, sizeof(*p));

			if (!p) {
				fan_respond(k->g, e->fd, false);
				close(e->fd);
				continue;
			}
			k->p = p;
			k->cap = cap;
		}
		ask.id = k->next_id++;
		k->p[k->n].ask = ask;
		k->p[k->n].sent = false;
		k->p[k->n++].fd = e->fd;
		k->unsent++;
		if (k->sock < 0)
			answer(k, k->n - 1, false);	/* no worker: EIO, not zeros */
		else if (k->unsent == 1)
			flush(k);	/* else it waits for POLLOUT behind the others */
	}
	return 0;
}

/*
 * The worker killed and reaped, so that nothing it holds (the cache:
 * fan_filler.c) outlives the keeper's return.
 */
static void end_worker(struct keeper *k)
{
	if (k->sock >= 0)
		close(k->sock);
	k->sock = -1;
	if (k->worker <= 0)
		return;
	if (kill(k->worker, SIGKILL) < 0)
		fprintf(stderr, "ovlmig fanfill: kill the worker %ld: %s\n",
			(long)k->worker, strerror(errno));
	while (waitpid(k->worker, NULL, 0) < 0 && errno == EINTR)
		;
	k->worker = 0;
}

/* False: the worker ended for good. */
static bool read_reply(struct keeper *k)
{
	struct fan_reply r;
	size_t i;
	int got = fan_wire_recv_reply(k->sock, &r);

	if (got <= 0)
		return worker_gone(k);
	k->restarts = 0;
	for (i = 0; i < k->n; i++)
		if (k->p[i].ask.id == r.id) {
			answer(k, i, r.allow);
			break;
		}
	return true;
}

int fan_keeper_run(const char *state_dir, const struct mount_state *s, int g,
		   int storefd, const struct fan_marks *m, int ready,
		   struct error **err)
{
	struct keeper k = { .state_dir = state_dir, .s = s, .m = m, .g = g,
			    .storefd = storefd, .sock = -1 };
	struct pollfd pfd[2];
	sigset_t wait_mask;
	int ret = -1;

	if (catch_term(&wait_mask, err) < 0 || start_worker(&k, ready, err) < 0)
		return -1;
	close(ready);	/* the worker's now: EOF there if it dies unready */
	for (;;) {
		pfd[0] = (struct pollfd){ .fd = g, .events = POLLIN };
		pfd[1] = (struct pollfd){ .fd = k.sock,
					  .events = POLLIN | (k.unsent ? POLLOUT : 0) };
		if (ppoll(pfd, 2, NULL, &wait_mask) < 0) {
			if (errno != EINTR) {
				error_set(err, errno, "poll");
				break;
			}
			if (stop_asked) {
				fprintf(stderr, "ovlmig fanfill: told to stop (SIGTERM)\n");
				ret = 0;
				break;
			}
			continue;
		}
		if ((pfd[1].revents & ~POLLOUT) && k.sock >= 0 && !read_reply(&k)) {
			error_set(err, ECHILD, "the worker ended (see above)");
			break;
		}
		if ((pfd[1].revents & POLLOUT) && k.sock >= 0)
			flush(&k);
		if ((pfd[0].revents & POLLIN) && read_events(&k, err) < 0)
			break;
	}
	end_worker(&k);
	/* told to stop: allowed, as the kernel does when the group goes */
	while (k.n)
		answer(&k, k.n - 1, ret == 0);
	free(k.p);
	return ret;
}
