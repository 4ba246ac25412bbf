// SPDX-License-Identifier: MIT
/*
 * How the passthrough probe decides: the kernel says what it offers in
 * the flags of the INIT request it sends a new FUSE connection, and it
 * sets FUSE_PASSTHROUGH there exactly when it was built with passthrough
 * (fs/fuse/inode.c, fuse_send_init). No module parameter or sysfs file
 * says it, and a kernel's version says nothing of its config. lowerfs
 * reads the same flag to negotiate passthrough; ovlmig only looks at it
 * and never answers: closing the device aborts the connection.
 */
#include "fuse_probe.h"

#include <fcntl.h>
#include <linux/fuse.h>
#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

/* protocol 7.40; Debian's header is older (lowerfs/fuse_compat.h too) */
#ifndef FUSE_PASSTHROUGH
#define FUSE_PASSTHROUGH	(1ULL << 37)
#endif

/* the kernel refuses a read into less than FUSE_MIN_READ_BUFFER */
#define INIT_BUF_SIZE	8192

/* The INIT request's flags, or 0 if none came within a second. */
static uint64_t init_flags(int fd)
{
	struct pollfd p = { fd, POLLIN, 0 };
	const struct fuse_in_header *h;
	const struct fuse_init_in *in;
	uint64_t flags = 0;
	char *buf;
	ssize_t n;

	if (poll(&p, 1, 1000) != 1)
		return 0;
	buf = malloc(INIT_BUF_SIZE);
	if (!buf)
		return 0;
	n = read(fd, buf, INIT_BUF_SIZE);
	h = (const void *)buf;
	in = (const void *)(buf + sizeof(*h));
	if (n >= (ssize_t)(sizeof(*h) + offsetof(struct fuse_init_in, flags2)) &&
	    h->opcode == FUSE_INIT) {
		flags = in->flags;
		/* flags2 is there only when FUSE_INIT_EXT says so */
		if ((flags & FUSE_INIT_EXT) &&
		    n >= (ssize_t)(sizeof(*h) + offsetof(struct fuse_init_in, flags2) +
				   sizeof(in->flags2)))
			flags |= (uint64_t)in->flags2 << 32;
	}
	free(buf);
	return flags;
}

bool fuse_probe_passthrough(const char *mnt)
{
	int fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
	char opts[128];
	bool yes = false;

	if (fd < 0)
		return false;
	snprintf(opts, sizeof(opts), "fd=%d,rootmode=40000,user_id=0,group_id=0", fd);
	/* the kernel queues INIT at mount and does not wait for the answer */
	if (mount("ovlmig-probe", mnt, "fuse", MS_NOSUID | MS_NODEV | MS_RDONLY, opts) == 0)
		yes = init_flags(fd) & FUSE_PASSTHROUGH;
	close(fd);
	return yes;
}
