// SPDX-License-Identifier: MIT
/* Ending the server: any thread asks, the main loop does it. */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "lowerfs.h"

void lowerfs_request_exit(struct lowerfs *fs, const char *reason)
{
	uint64_t one = 1;

	if (!fs->exit_reason)
		fs->exit_reason = reason;
	if (write(fs->wake_fd, &one, sizeof(one)) < 0)
		lowerfs_log("wake main loop: %s", strerror(errno));
}
