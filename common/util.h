/* SPDX-License-Identifier: MIT */
/* Small helpers shared by lowerfs and ovlmig. */
#ifndef OVLMIG_UTIL_H
#define OVLMIG_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* "A/B" in a fresh allocation (NULL on ENOMEM); "" for A means just B. */
char *path_join(const char *a, const char *b);

/* Write or read exactly len bytes, retrying on EINTR and short counts. */
int write_all(int fd, const void *buf, size_t len);
ssize_t read_full(int fd, void *buf, size_t len);
/* Exactly LEN bytes at OFF: 0, or -1 with errno (EIO when the file is shorter). */
int pread_all(int fd, void *buf, size_t len, uint64_t off);

uint64_t now_ns(void);		/* CLOCK_MONOTONIC */
void sleep_ns(uint64_t ns);
/*
 * OVLMIG_DEBUG=1: "CMD: WHAT: S s" on stderr, the time since *T0; then
 * *T0 = now. For a breakdown of where a command's time goes.
 */
void debug_step(const char *cmd, const char *what, uint64_t *t0);

/* Parse a whole decimal number in [min, max]; -1 with errno on failure. */
int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/* A directory that exists and has no entries other than . and .. */
int dir_is_empty(const char *path);	/* 1 empty, 0 not, -1 error */

/* "TIMESTAMP WHO[PID]: message" on stderr, for daemons whose stderr is a log. */
void log_line(const char *who, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
