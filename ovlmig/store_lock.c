// SPDX-License-Identifier: MIT
/* The image store's lock files (store.h): one opener, one error style. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/file.h>
#include <unistd.h>

#include "../common/util.h"
#include "store_lock.h"

int store_lock(const char *dir, const char *name, int how, int *fd,
	       struct error **err)
{
	char *path = path_join(dir, name);
	int ret = -1;

	*fd = -1;
	if (!path)
		return error_set(err, ENOMEM, "lock %s/%s", dir, name);
	*fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (*fd < 0) {
		error_set(err, errno, "lock %s: open", path);
		goto out;
	}
	if (flock(*fd, how) == 0) {
		ret = 0;
		goto out;
	}
	if ((how & LOCK_NB) && errno == EWOULDBLOCK)
		ret = 1;
	else
		error_set(err, errno, "lock %s: flock", path);
	close(*fd);
	*fd = -1;
out:
	free(path);
	return ret;
}

int store_use_lock(const char *dir, bool exclusive, int *fd, struct error **err)
{
	return store_lock(dir, "use.lock", exclusive ? LOCK_EX | LOCK_NB : LOCK_SH,
			  fd, err);
}
