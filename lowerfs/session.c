// SPDX-License-Identifier: MIT
#include "session.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "../common/util.h"

static char *run_file(struct lowerfs *fs, const char *name)
{
	return path_join(fs->opts.run_dir, name);
}

void session_save(struct lowerfs *fs)
{
	char *path = run_file(fs, "session");
	FILE *f = path ? fopen(path, "we") : NULL;

	if (f) {
		fprintf(f, "%u %d %d\n", fs->proto_minor, fs->passthrough,
			fs->no_opendir);
		fclose(f);
	}
	free(path);
}

int takeover(struct lowerfs *fs, struct error **err)
{
	char *path = run_file(fs, "session");
	FILE *f = path ? fopen(path, "re") : NULL;
	int pt = 0, nod = 0, n = 0;

	if (f) {
		n = fscanf(f, "%u %d %d", &fs->proto_minor, &pt, &nod);
		fclose(f);
	}
	free(path);
	if (n != 3)
		return error_set(err, EINVAL, "takeover: no session saved in %s",
				 fs->opts.run_dir);
	fs->passthrough = pt;
	fs->no_opendir = nod;
	fs->devfd = fs->opts.takeover_fd;
	if (fcntl(fs->devfd, F_SETFD, FD_CLOEXEC) < 0)
		return error_set(err, errno, "takeover fd %d", fs->devfd);
	fs->mounted = true;
	fs->taken_over = true;
	lowerfs_log("took over the FUSE connection of a previous lowerfs (protocol 7.%u, passthrough %s)",
		    fs->proto_minor, pt ? "on" : "off");
	return 0;
}

int keeper_send(struct lowerfs *fs, struct error **err)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	pid_t pid = getpid();
	struct iovec iov = { &pid, sizeof(pid) };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
	int s;

	if (strlen(fs->opts.keeper) >= sizeof(addr.sun_path))
		return error_set(err, ENAMETOOLONG, "keeper %s", fs->opts.keeper);
	strcpy(addr.sun_path, fs->opts.keeper);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fs->devfd, sizeof(int));
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0 || connect(s, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
	    sendmsg(s, &msg, 0) < 0) {
		error_set(err, errno, "hand the connection to keeper %s", fs->opts.keeper);
		if (s >= 0)
			close(s);
		return -1;
	}
	close(s);
	return 0;
}

void session_mark_exit(struct lowerfs *fs)
{
	char *path = run_file(fs, "exited");
	int fd = path ? open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600) : -1;

	if (fd >= 0)
		close(fd);
	free(path);
}
