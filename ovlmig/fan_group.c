// SPDX-License-Identifier: MIT
#include "fan_group.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fan_kernel.h"

int fan_group_open(int *fd, struct error **err)
{
	/*
	 * One inode mark per placeholder: without FAN_UNLIMITED_MARKS the
	 * group stops at fs.fanotify.max_user_marks (about 200k here, shared
	 * by all of root's groups) and a larger image cannot be mounted.
	 */
	*fd = fanotify_init(FAN_CLASS_PRE_CONTENT | FAN_CLOEXEC | FAN_UNLIMITED_QUEUE |
			    FAN_UNLIMITED_MARKS, O_RDONLY | O_LARGEFILE | O_CLOEXEC);
	if (*fd < 0)
		return error_set(err, errno, "fanotify_init(FAN_CLASS_PRE_CONTENT)");
	return 0;
}

int fan_mark_file(int g, int fd, struct error **err)
{
	if (fanotify_mark(g, FAN_MARK_ADD, FAN_FILL_EVENTS, fd, NULL) < 0)
		return error_set(err, errno, "fanotify_mark(FAN_OPEN_PERM|FAN_PRE_ACCESS)%s",
				 errno == EOPNOTSUPP || errno == EINVAL ?
				 " (the store's filesystem has no pre-content events: ext4 and XFS have)" :
				 errno == ENOSPC ? " (the kernel's limit on marks)" : "");
	return 0;
}

void fan_unmark_file(int g, int fd)
{
	fanotify_mark(g, FAN_MARK_REMOVE, FAN_FILL_EVENTS, fd, NULL);
}

int fan_marks_init(int storefd, bool fs, struct fan_marks *m, struct error **err)
{
	struct stat st;

	if (fstat(storefd, &st) < 0)
		return error_set(err, errno, "stat the store");
	m->fs = fs;
	m->dev = st.st_dev;
	m->key = (uint64_t)st.st_ino;
	return 0;
}

int fan_mark_filesystem(int g, int fd, struct error **err)
{
	if (fanotify_mark(g, FAN_MARK_ADD | FAN_MARK_FILESYSTEM, FAN_FILL_EVENTS, fd, NULL) < 0)
		return error_set(err, errno, "fanotify_mark(FAN_MARK_FILESYSTEM, FAN_OPEN_PERM|FAN_PRE_ACCESS)%s",
				 errno == EOPNOTSUPP || errno == EINVAL ?
				 " (the store's filesystem has no pre-content events: ext4 and XFS have)" : "");
	return 0;
}

/* an ignore mark that outlives writes (the default one is cleared by them) */
#define IGNORE_FLAGS (FAN_MARK_IGNORED_MASK | FAN_MARK_IGNORED_SURV_MODIFY)

void fan_ignore_file(int g, int fd)
{
	fanotify_mark(g, FAN_MARK_ADD | FAN_MARK_EVICTABLE | IGNORE_FLAGS, FAN_FILL_EVENTS, fd, NULL);
}

int fan_unignore_file(int g, int fd, struct error **err)
{
	if (fanotify_mark(g, FAN_MARK_REMOVE | FAN_MARK_IGNORED_MASK, FAN_FILL_EVENTS, fd, NULL) < 0 &&
	    errno != ENOENT)
		return error_set(err, errno, "remove the fanotify ignore mark");
	return 0;
}

int fan_ignore_mount(int g, int treefd, struct error **err)
{
	/* "." beneath the O_PATH fd: fanotify_mark takes no O_PATH fd alone */
	if (fanotify_mark(g, FAN_MARK_ADD | FAN_MARK_MOUNT | FAN_MARK_IGNORED_MASK |
			  FAN_MARK_IGNORED_SURV_MODIFY, FAN_FILL_EVENTS, treefd, ".") < 0)
		return error_set(err, errno, "fanotify ignore mark on the filler's mount");
	return 0;
}

int fan_respond(int g, int fd, bool allow)
{
	struct fanotify_response r = {
		.fd = fd,
		.response = allow ? FAN_ALLOW : FAN_DENY_ERRNO(EIO),
	};

	if (write(g, &r, sizeof(r)) == sizeof(r))
		return 0;
	if (allow || errno != EINVAL)
		return -1;
	/* a kernel without FAN_DENY_ERRNO: a plain deny (EPERM) */
	r.response = FAN_DENY;
	return write(g, &r, sizeof(r)) == sizeof(r) ? 0 : -1;
}
