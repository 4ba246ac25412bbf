// SPDX-License-Identifier: MIT
/*
 * The FUSE device: mounting, the worker threads that read requests from
 * /dev/fuse and dispatch them through the ops table, replies and
 * notifications. The kernel protocol is spoken directly: Debian 12's
 * libfuse has no passthrough API.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fuse_req.h"

/* Largest request: a WRITE of max_write (refused, but the kernel sizes it). */
#define FUSE_MAX_WRITE (128u * 1024)
#define FUSE_BUF_SIZE (FUSE_MAX_WRITE + 8192)
#define FUSE_MAX_READ (1u << 20)

int fuse_dev_mount(struct lowerfs *fs, struct error **err)
{
	char opts[256];
	int n;

	fs->devfd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
	if (fs->devfd < 0)
		return error_set(err, errno, "open /dev/fuse");
	n = snprintf(opts, sizeof(opts),
		     "fd=%d,rootmode=%o,user_id=0,group_id=0,"
		     "default_permissions,allow_other,max_read=%u",
		     fs->devfd, S_IFDIR, FUSE_MAX_READ);
	if (n < 0 || (size_t)n >= sizeof(opts))
		return error_set(err, EOVERFLOW, "mount options");
	/*
	 * nosuid, nodev: anyone may read this mount (allow_other), and it is
	 * not the container's view; the overlay above decides for that.
	 */
	if (mount("lowerfs", fs->opts.mountpoint, "fuse.lowerfs",
		  MS_RDONLY | MS_NOATIME | MS_NOSUID | MS_NODEV, opts) < 0)
		return error_set(err, errno, "mount %s", fs->opts.mountpoint);
	fs->mounted = true;
	return 0;
}

void fuse_dev_unmount(struct lowerfs *fs)
{
	if (!fs->mounted)
		return;
	/* lazy: users of open files keep them, new lookups fail */
	if (umount2(fs->opts.mountpoint, MNT_DETACH) < 0 && errno != EINVAL &&
	    errno != ENOENT)
		lowerfs_log("unmount %s: %s", fs->opts.mountpoint,
			    strerror(errno));
	fs->mounted = false;
}

/* Write a header plus IOV[1..] to the device; IOV[0] is the header slot. */
static int dev_write(struct lowerfs *fs, int32_t error, uint64_t unique,
		     struct iovec *iov, int count)
{
	struct fuse_out_header out = { .error = error, .unique = unique };
	size_t len = sizeof(out);
	int i;

	for (i = 1; i < count; i++)
		len += iov[i].iov_len;
	out.len = (uint32_t)len;
	iov[0].iov_base = &out;
	iov[0].iov_len = sizeof(out);
	return writev(fs->devfd, iov, count) < 0 ? -errno : 0;
}

static void send_reply(struct fuse_req *r, int err, struct iovec *iov, int count)
{
	int rc = dev_write(r->fs, -err, r->in->unique, iov, count);

	/* ENOENT: the request was interrupted meanwhile; nothing to do */
	if (rc < 0 && rc != -ENOENT)
		lowerfs_log("reply to %s: %s",
			    r->in->opcode < LOWERFS_MAX_OPCODE &&
				    lowerfs_ops[r->in->opcode].name ?
				    lowerfs_ops[r->in->opcode].name : "?",
			    strerror(-rc));
}

void reply_err(struct fuse_req *r, int err)
{
	struct iovec iov[1];

	send_reply(r, err, iov, 1);
}

void reply_data(struct fuse_req *r, const void *data, size_t len)
{
	struct iovec iov[2] = { { 0 }, { (void *)data, len } };

	send_reply(r, 0, iov, len ? 2 : 1);
}

void reply_iov(struct fuse_req *r, struct iovec *iov, int count)
{
	send_reply(r, 0, iov, count);
}

int fuse_notify_inval_entry(struct lowerfs *fs, uint32_t parent,
			    const char *name)
{
	struct fuse_notify_inval_entry_out arg = {
		.parent = image_nodeid(parent),
		.namelen = (uint32_t)strlen(name),
	};
	struct iovec iov[3] = {
		{ 0 },
		{ &arg, sizeof(arg) },
		{ (void *)name, strlen(name) + 1 },
	};

	return dev_write(fs, FUSE_NOTIFY_INVAL_ENTRY, 0, iov, 3);
}

int fuse_notify_inval_inode(struct lowerfs *fs, uint32_t node)
{
	struct fuse_notify_inval_inode_out arg = {
		.ino = image_nodeid(node),
		.off = 0,
		.len = 0,	/* whole file */
	};
	struct iovec iov[2] = { { 0 }, { &arg, sizeof(arg) } };

	return dev_write(fs, FUSE_NOTIFY_INVAL_INODE, 0, iov, 2);
}

int fuse_notify_resend(struct lowerfs *fs)
{
	struct iovec iov[1];

	/* FUSE_NOTIFY_RESEND (7.40, Linux 6.9): no payload */
	return dev_write(fs, LOWERFS_NOTIFY_RESEND, 0, iov, 1);
}

static void dispatch(struct lowerfs *fs, const char *buf, size_t len)
{
	const struct fuse_in_header *in = (const void *)buf;
	struct fuse_req req = { .fs = fs, .in = in };
	const struct fuse_op *op = NULL;

	if (len < sizeof(*in) || in->len != len) {
		lowerfs_log("malformed request of %zu bytes", len);
		return;
	}
	if (in->opcode < LOWERFS_MAX_OPCODE) {
		op = &lowerfs_ops[in->opcode];
		atomic_fetch_add(&fs->stats.requests[in->opcode], 1);
	}
	if (!op || !op->handler) {
		if (!op || !op->no_reply)
			reply_err(&req, ENOSYS);
		return;
	}
	/*
	 * A tree loading in the background (tree_load.c): INIT, DESTROY and
	 * STATFS (overlayfs' mount asks it) need none; the rest waits.
	 */
	if (in->opcode != FUSE_INIT && in->opcode != FUSE_DESTROY &&
	    in->opcode != FUSE_STATFS && tree_wait(fs) < 0) {
		if (!op->no_reply)
			reply_err(&req, EIO);
		return;
	}
	op->handler(&req, buf + sizeof(*in), len - sizeof(*in));
}

static void *worker(void *arg)
{
	struct lowerfs *fs = arg;
	char *buf = malloc(FUSE_BUF_SIZE);

	if (!buf) {
		lowerfs_request_exit(fs, "out of memory for a request buffer");
		return NULL;
	}
	while (!atomic_load(&fs->stopping)) {
		ssize_t n = read(fs->devfd, buf, FUSE_BUF_SIZE);

		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN || errno == ENOENT)
				continue;
			if (errno == ENODEV) {
				lowerfs_request_exit(fs,
					"FUSE connection ended (unmounted or aborted)");
				break;
			}
			lowerfs_log("read /dev/fuse: %s", strerror(errno));
			lowerfs_request_exit(fs, "FUSE device error");
			break;
		}
		dispatch(fs, buf, (size_t)n);
	}
	free(buf);
	return NULL;
}

static void wake_handler(int sig)
{
	(void)sig;	/* only interrupts a blocking read() */
}

int fuse_dev_start(struct lowerfs *fs, pthread_t **threads, struct error **err)
{
	struct sigaction sa = { .sa_handler = wake_handler };
	pthread_t *t;
	unsigned i;
	int rc;

	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGUSR1, &sa, NULL) < 0)	/* no SA_RESTART */
		return error_set(err, errno, "sigaction");
	t = calloc(fs->opts.threads, sizeof(*t));
	if (!t)
		return error_set(err, ENOMEM, "worker threads");
	for (i = 0; i < fs->opts.threads; i++) {
		rc = pthread_create(&t[i], NULL, worker, fs);
		if (rc) {
			atomic_store(&fs->stopping, true);
			*threads = t;
			fs->opts.threads = i;
			return error_set(err, rc, "start worker thread");
		}
	}
	*threads = t;
	return 0;
}

void fuse_dev_stop(struct lowerfs *fs, pthread_t *threads)
{
	unsigned i;

	atomic_store(&fs->stopping, true);
	for (i = 0; i < fs->opts.threads; i++) {
		struct timespec ts;

		/* re-send: a worker may have been just about to block */
		for (;;) {
			pthread_kill(threads[i], SIGUSR1);
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += 50 * 1000000;
			if (ts.tv_nsec >= 1000000000) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000;
			}
			if (pthread_timedjoin_np(threads[i], NULL, &ts) == 0)
				break;
		}
	}
	free(threads);
}
