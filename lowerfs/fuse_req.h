/* SPDX-License-Identifier: MIT */
/* One FUSE request in flight, and the replies a handler can send. */
#ifndef LOWERFS_FUSE_REQ_H
#define LOWERFS_FUSE_REQ_H

#include <stddef.h>
#include <sys/uio.h>

#include "fuse_compat.h"
#include "lowerfs.h"

struct fuse_req {
	struct lowerfs *fs;
	const struct fuse_in_header *in;
};

/* ERR is a positive errno; 0 sends an empty success reply. */
void reply_err(struct fuse_req *r, int err);
void reply_data(struct fuse_req *r, const void *data, size_t len);
/* IOV[0] is left free for the header. */
void reply_iov(struct fuse_req *r, struct iovec *iov, int count);

typedef void (*fuse_handler)(struct fuse_req *r, const void *arg, size_t len);

struct fuse_op {
	const char *name;
	fuse_handler handler;
	bool no_reply;		/* FORGET and friends */
};

/* Indexed by opcode; a NULL handler means ENOSYS. */
extern const struct fuse_op lowerfs_ops[LOWERFS_MAX_OPCODE];

#endif
