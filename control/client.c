// SPDX-License-Identifier: MIT
/* The client half of the control protocol: `lowerfs ctl` and ovlmig. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "control.h"

#include "../common/json_path.h"
#include "../common/util.h"

char *control_request(const char *sock_path, const char *cmd,
		      struct error **err)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	size_t len = 0, cap = 4096;
	char *buf = NULL;
	int fd;

	if (strlen(sock_path) >= sizeof(addr.sun_path)) {
		error_set(err, ENAMETOOLONG, "%s", sock_path);
		return NULL;
	}
	strcpy(addr.sun_path, sock_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		error_set(err, errno, "socket");
		return NULL;
	}
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		error_set(err, errno, "connect %s (is lowerfs running?)", sock_path);
		goto fail;
	}
	/* one write: a server that closes with unread bytes resets the socket */
	if (asprintf(&buf, "%s\n", cmd) < 0) {
		buf = NULL;
		error_set(err, ENOMEM, "request");
		goto fail;
	}
	if (write_all(fd, buf, strlen(buf)) < 0) {
		error_set(err, errno, "send to %s", sock_path);
		goto fail;
	}
	free(buf);
	buf = malloc(cap);
	for (;;) {
		ssize_t n;

		if (!buf) {
			error_set(err, ENOMEM, "reply");
			goto fail;
		}
		if (len + 1 == cap) {
			char *nb = realloc(buf, cap * 2);

			if (!nb) {
				free(buf);
				buf = NULL;
				continue;
			}
			buf = nb;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			error_set(err, errno, "read reply from %s", sock_path);
			goto fail;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	close(fd);
	return buf;
fail:
	free(buf);
	close(fd);
	return NULL;
}

json_t *control_call(const char *run_dir, const char *cmd, struct error **err)
{
	char *sock = path_join(run_dir, CONTROL_SOCKET), *reply;
	json_error_t jerr;
	json_t *doc;

	if (!sock) {
		error_set(err, ENOMEM, "%s", cmd);
		return NULL;
	}
	reply = control_request(sock, cmd, err);
	free(sock);
	if (!reply) {
		error_wrap(err, "lowerfs %s", cmd);
		return NULL;
	}
	doc = json_loads(reply, 0, &jerr);
	free(reply);
	if (!doc) {
		error_set(err, EPROTO, "lowerfs %s: bad reply: %s", cmd, jerr.text);
		return NULL;
	}
	if (json_is_string(json_object_get(doc, CONTROL_KEY_ERROR))) {
		error_set(err, EIO, "lowerfs %s: %s", cmd,
			  json_string_value(json_object_get(doc, CONTROL_KEY_ERROR)));
		json_decref(doc);
		return NULL;
	}
	return doc;
}

json_t *control_stats(const char *run_dir, struct error **err)
{
	return control_call(run_dir, CONTROL_STATS, err);
}

json_t *control_live(const char *run_dir, struct error **err)
{
	json_t *doc = control_call(run_dir, CONTROL_LIVE, err), *live;

	if (!doc)
		return NULL;
	live = json_incref(json_object_get(doc, CONTROL_KEY_LIVE));
	json_decref(doc);
	if (!json_is_array(live)) {
		json_decref(live);
		error_set(err, EPROTO, "lowerfs %s: no list in the reply", CONTROL_LIVE);
		return NULL;
	}
	return live;
}

int control_invalidate(const char *run_dir, struct error **err)
{
	json_t *doc = control_call(run_dir, CONTROL_INVALIDATE, err);

	if (!doc)
		return -1;
	json_decref(doc);
	return 0;
}

int control_demand(const char *run_dir, unsigned *n, struct error **err)
{
	json_t *doc = control_call(run_dir, CONTROL_DEMAND, err);
	json_t *v = doc ? json_object_get(doc, CONTROL_KEY_DEMAND) : NULL;

	if (doc && !json_is_integer(v)) {
		json_decref(doc);
		return error_set_msg(err, EPROTO, "demand: no count in the reply");
	}
	if (!doc)
		return -1;
	*n = (unsigned)json_integer_value(v);
	json_decref(doc);
	return 0;
}

int control_store_image(const char *run_dir, const char *dir, struct error **err)
{
	json_t *doc;
	char *cmd;

	/* one line: a name with a newline cannot be sent */
	if (strpbrk(dir, "\r\n"))
		return error_set_msg(err, EINVAL, "store-image: a path with a newline");
	if (strlen(dir) + sizeof(CONTROL_STORE_IMAGE) + 2 > CONTROL_LINE_MAX)
		return error_set(err, ENAMETOOLONG, "store-image %s", dir);
	if (asprintf(&cmd, "%s %s", CONTROL_STORE_IMAGE, dir) < 0)
		return error_set(err, ENOMEM, "store-image");
	doc = control_call(run_dir, cmd, err);
	free(cmd);
	if (!doc)
		return -1;
	json_decref(doc);
	return 0;
}

char *control_live_path(const json_t *node)
{
	return json_path_get(node, CONTROL_KEY_PATH);
}
