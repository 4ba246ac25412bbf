/* SPDX-License-Identifier: MIT */
/*
 * The HTTP side of `ovlmig serve`: GET /metrics (metrics.h), on serve's
 * unix socket beside its JSON protocol (a request that starts with an
 * upper-case letter is HTTP, JSON starts with '{') and, when asked, on a
 * TCP address. Only metrics are served over TCP: the jobs' protocol
 * stays on the root-only unix socket.
 */
#ifndef OVLMIG_SERVE_HTTP_H
#define OVLMIG_SERVE_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "../common/error.h"

/* Is the start of a request in BUF (NUL-terminated) HTTP? */
bool serve_http_is_request(const char *buf);
/*
 * Answer the HTTP request on FD whose first USED bytes are in BUF (CAP
 * bytes, NUL-terminated): the rest of its header is read first, so that
 * closing never drops a request not read whole.
 */
void serve_http_answer(int fd, char *buf, size_t used, size_t cap,
		       unsigned jobs_running);
/*
 * A listening TCP socket on ADDR:PORT ("127.0.0.1:9101", "[::1]:9101",
 * ":9101" for every address); -1 with *err set.
 */
int serve_http_listen(const char *addr_port, struct error **err);

#endif
