// SPDX-License-Identifier: MIT
#include "shutdown.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <xfs/xfs.h>

#ifndef XFS_SUPER_MAGIC
#define XFS_SUPER_MAGIC 0x58465342
#endif

bool lower_can_shutdown(const char *path)
{
	struct statfs sf;

	return statfs(path, &sf) == 0 && sf.f_type == XFS_SUPER_MAGIC;
}

int lower_shutdown(const char *path, struct error **err)
{
	uint32_t flags = XFS_FSOP_GOING_FLAGS_NOLOGFLUSH;
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return error_set(err, errno, "open lower %s", path);
	if (ioctl(fd, XFS_IOC_GOINGDOWN, &flags) < 0) {
		error_set(err, errno, "shut down XFS at %s", path);
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}
