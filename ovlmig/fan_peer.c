// SPDX-License-Identifier: MIT
#include "fan_peer.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

/* at most 15 characters: the kernel's TASK_COMM_LEN less the NUL */
#define FAN_PEER_COMM "ovlmig-fanfill"

void fan_peer_name_self(void)
{
	/* only a saving for the other fillers: a failure costs them a fill */
	prctl(PR_SET_NAME, FAN_PEER_COMM, 0, 0, 0);
}

static bool comm_is_filler(pid_t pid)
{
	char path[64], comm[32];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%ld/comm", (long)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, comm, sizeof(comm) - 1);
	close(fd);
	if (n <= 0)
		return false;
	comm[n] = '\0';
	return !strcmp(comm, FAN_PEER_COMM "\n");
}

bool fan_peer_is_filler(pid_t pid)
{
	char path[64];
	struct stat self, them;

	if (pid <= 0 || !comm_is_filler(pid))
		return false;
	snprintf(path, sizeof(path), "/proc/%ld/exe", (long)pid);
	return stat("/proc/self/exe", &self) == 0 && stat(path, &them) == 0 &&
	       self.st_dev == them.st_dev && self.st_ino == them.st_ino;
}
