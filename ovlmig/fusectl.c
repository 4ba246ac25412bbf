// SPDX-License-Identifier: MIT
#include "fusectl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "../common/fsutil.h"
#include "../common/util.h"

#define FUSECTL "/sys/fs/fuse/connections"

int fusectl_abort(dev_t dev, struct error **err)
{
	char path[128];
	int fd;

	if (is_mountpoint(FUSECTL) != 1 &&
	    mount("fusectl", FUSECTL, "fusectl", 0, NULL) < 0)
		return error_set(err, errno, "mount %s", FUSECTL);
	snprintf(path, sizeof(path), FUSECTL "/%u/abort", minor(dev));
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write_all(fd, "1", 1) < 0) {
		error_set(err, errno, "abort FUSE connection %s", path);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}
