// SPDX-License-Identifier: MIT
#include "fan_wire.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int fan_wire_send_event(int sock, const struct fan_ask *a, int fd)
{
	char ctl[CMSG_SPACE(sizeof(int))] = { 0 };
	struct fan_ask copy = *a;
	struct iovec iov = { .iov_base = &copy, .iov_len = sizeof(copy) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = ctl, .msg_controllen = sizeof(ctl) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	ssize_t n;

	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	do
		n = sendmsg(sock, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	return n == sizeof(copy) ? 0 : -1;
}

int fan_wire_recv_event(int sock, struct fan_ask *a, int *fd)
{
	char ctl[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = a, .iov_len = sizeof(*a) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = ctl, .msg_controllen = sizeof(ctl) };
	struct cmsghdr *c;
	ssize_t n;

	do
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return n < 0 ? -1 : 0;
	c = CMSG_FIRSTHDR(&msg);
	if (n != sizeof(*a) || !c || c->cmsg_type != SCM_RIGHTS ||
	    c->cmsg_len != CMSG_LEN(sizeof(int))) {
		errno = EPROTO;
		return -1;
	}
	memcpy(fd, CMSG_DATA(c), sizeof(int));
	return 1;
}

int fan_wire_send_reply(int sock, uint64_t id, bool allow)
{
	struct fan_reply r = { .id = id, .allow = allow };
	ssize_t n;

	do
		n = send(sock, &r, sizeof(r), MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n == sizeof(r) ? 0 : -1;
}

int fan_wire_recv_reply(int sock, struct fan_reply *r)
{
	ssize_t n;

	do
		n = recv(sock, r, sizeof(*r), 0);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return n < 0 ? -1 : 0;
	if (n != sizeof(*r)) {
		errno = EPROTO;
		return -1;
	}
	return 1;
}
