// SPDX-License-Identifier: MIT
#include "serve_http.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../common/util.h"
#include "metrics.h"

#define METRICS_PATH "/metrics"

bool serve_http_is_request(const char *buf)
{
	return buf[0] >= 'A' && buf[0] <= 'Z';
}

static void reply(int fd, const char *status, const char *type,
		  const char *body, size_t len, bool head)
{
	char header[256];
	int n = snprintf(header, sizeof(header),
			 "HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
			 "Connection: close\r\n\r\n", status, type, len);

	if (n < 0 || (size_t)n >= sizeof(header))
		return;
	if (write_all(fd, header, (size_t)n) < 0 ||
	    (!head && len && write_all(fd, body, len) < 0))
		log_line("ovlmig serve", "metrics reply: %s", strerror(errno));
}

static void plain(int fd, const char *status, const char *text)
{
	reply(fd, status, "text/plain; charset=utf-8", text, strlen(text), false);
}

void serve_http_answer(int fd, char *buf, size_t used, size_t cap,
		       unsigned jobs_running)
{
	struct error *err = NULL;
	size_t path_len = strlen(METRICS_PATH), len;
	const char *path;
	char *text;
	bool head;
	ssize_t n;

	/* the socket has serve_client's receive timeout */
	while (!strstr(buf, "\r\n\r\n") && !strstr(buf, "\n\n") && used < cap - 1) {
		n = read(fd, buf + used, cap - 1 - used);
		if (n <= 0)
			break;
		used += (size_t)n;
		buf[used] = '\0';
	}
	if (!strstr(buf, "\r\n\r\n") && !strstr(buf, "\n\n")) {
		plain(fd, "400 Bad Request", "incomplete or too long request header\n");
		return;
	}
	head = !strncmp(buf, "HEAD ", 5);
	if (!head && strncmp(buf, "GET ", 4)) {
		plain(fd, "405 Method Not Allowed", "only GET " METRICS_PATH "\n");
		return;
	}
	path = buf + (head ? 5 : 4);
	if (strncmp(path, METRICS_PATH, path_len) ||
	    (path[path_len] != ' ' && path[path_len] != '?')) {
		plain(fd, "404 Not Found", "only " METRICS_PATH " is here\n");
		return;
	}
	text = metrics_render(jobs_running, &len, &err);
	if (!text) {
		log_line("ovlmig serve", "metrics: %s", err->msg);
		error_free(&err);
		plain(fd, "500 Internal Server Error", "metrics could not be read: see serve's log\n");
		return;
	}
	reply(fd, "200 OK", METRICS_CONTENT_TYPE, text, len, head);
	free(text);
}

/* ADDR:PORT into *HOST (NULL: every address) and *PORT, in COPY */
static int split(char *copy, char **host, char **port)
{
	char *colon = strrchr(copy, ':');

	if (!colon || !colon[1])
		return -1;
	*colon = '\0';
	*port = colon + 1;
	*host = copy;
	if (copy[0] == '[') {
		size_t n = strlen(copy);

		if (n < 2 || copy[n - 1] != ']')
			return -1;
		copy[n - 1] = '\0';
		*host = copy + 1;
	} else if (strchr(copy, ':')) {
		return -1;	/* an IPv6 address goes in brackets */
	}
	if (!**host)
		*host = NULL;
	return 0;
}

int serve_http_listen(const char *addr_port, struct error **err)
{
	struct addrinfo hints = {
		.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
		.ai_flags = AI_PASSIVE | AI_NUMERICSERV,
	}, *res = NULL, *a;
	char *copy = strdup(addr_port), *host, *port;
	int fd = -1, rc, one = 1, saved = 0;

	if (!copy)
		return error_set(err, ENOMEM, "%s", addr_port);
	if (split(copy, &host, &port) < 0) {
		free(copy);
		return error_set(err, EINVAL, "%s: not ADDR:PORT ([ADDR]:PORT for IPv6)",
				 addr_port);
	}
	rc = getaddrinfo(host, port, &hints, &res);
	if (rc) {
		error_set(err, EINVAL, "%s: %s", addr_port, gai_strerror(rc));
		free(copy);
		return -1;
	}
	for (a = res; a; a = a->ai_next) {
		fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
		if (fd < 0) {
			saved = errno;
			continue;
		}
		if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == 0 &&
		    bind(fd, a->ai_addr, a->ai_addrlen) == 0 && listen(fd, 16) == 0)
			break;
		saved = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	free(copy);
	if (fd < 0)
		return error_set(err, saved ? saved : EADDRNOTAVAIL, "listen on %s", addr_port);
	return fd;
}
