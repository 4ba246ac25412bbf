/* SPDX-License-Identifier: MIT */
/*
 * FUSE protocol bits newer than Debian 12's <linux/fuse.h> (7.38).
 * Values are from the kernel's protocol 7.40 (Linux 6.9), where FUSE
 * passthrough and FUSE_NO_EXPORT_SUPPORT arrived.
 */
#ifndef LOWERFS_FUSE_COMPAT_H
#define LOWERFS_FUSE_COMPAT_H

#include <linux/fuse.h>
#include <stdint.h>
#include <sys/ioctl.h>

/* The protocol this server speaks: the 7.40 structure layouts. */
#define LOWERFS_PROTO_MINOR 40

#ifndef FUSE_PASSTHROUGH
#define FUSE_PASSTHROUGH	(1ULL << 37)
#endif
#ifndef FUSE_NO_EXPORT_SUPPORT
#define FUSE_NO_EXPORT_SUPPORT	(1ULL << 38)
#endif
#ifndef FUSE_HAS_RESEND
#define FUSE_HAS_RESEND		(1ULL << 39)
#endif
#ifndef FOPEN_PASSTHROUGH
#define FOPEN_PASSTHROUGH	(1 << 7)
#endif

/* 7.40 notification: re-queue the requests being processed */
#define LOWERFS_NOTIFY_RESEND 7

/* 7.39 opcode; unanswered (ENOSYS) so the kernel falls back to GETATTR */
#define LOWERFS_OP_STATX 52

#ifndef FUSE_DEV_IOC_BACKING_OPEN
struct fuse_backing_map {
	int32_t fd;
	uint32_t flags;
	uint64_t padding;
};
#define FUSE_DEV_IOC_BACKING_OPEN _IOW(FUSE_DEV_IOC_MAGIC, 1, struct fuse_backing_map)
#define FUSE_DEV_IOC_BACKING_CLOSE _IOW(FUSE_DEV_IOC_MAGIC, 2, uint32_t)
#endif

/*
 * 7.40 renamed fields that 7.38 calls padding: fuse_init_out.unused[0] is
 * max_stack_depth, fuse_open_out.padding is backing_id.
 */
static inline void init_out_set_max_stack_depth(struct fuse_init_out *o,
						uint32_t depth)
{
	o->unused[0] = depth;
}

static inline void open_out_set_backing_id(struct fuse_open_out *o, int32_t id)
{
	o->padding = (uint32_t)id;
}

/* Linux keeps filesystem stacks at most this deep. */
#define LOWERFS_MAX_STACK_DEPTH 2

#endif
