/* SPDX-License-Identifier: MIT */
/* Errors whose message already says why ("HTTP 500 after 5 attempts"). */
#ifndef LOWERFS_ERRMSG_H
#define LOWERFS_ERRMSG_H

#include "../common/error.h"

/* Like error_set, but ERRNUM is kept without its strerror text. Returns -1. */
int error_set_msg(struct error **err, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
