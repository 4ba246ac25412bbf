/* SPDX-License-Identifier: MIT */
/*
 * Error objects: an errno plus a message that callers wrap with context,
 * so a failure reads "detach /m: repin usr/bin/x: rename: Device busy".
 *
 * Convention: functions return 0 on success and -1 on failure, and on
 * failure set *err (which must be NULL on entry). The caller either wraps
 * it with error_wrap() and returns -1 too, or prints and frees it.
 */
#ifndef OVLMIG_ERROR_H
#define OVLMIG_ERROR_H

#include <stdio.h>

struct error {
	int errnum;	/* errno value, 0 if none applies */
	char *msg;	/* full message including wrapped context */
};

/* Set *err to "MSG: strerror(errnum)" (or just MSG if errnum is 0). */
int error_set(struct error **err, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Like error_set, for messages that already say why ("HTTP 500 after 5
 * attempts"): ERRNUM is kept, its strerror text is not appended.
 */
int error_set_msg(struct error **err, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Prefix the message of *err with "CONTEXT: ". Returns -1. */
int error_wrap(struct error **err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Print "PROG: MESSAGE" to stream and free the error. */
void error_report(struct error **err, const char *prog, FILE *stream);

void error_free(struct error **err);

#endif
