// SPDX-License-Identifier: MIT
#include "errmsg.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

int error_set_msg(struct error **err, int errnum, const char *fmt, ...)
{
	char *msg = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n < 0)
		return error_set(err, ENOMEM, "error message");
	error_set(err, 0, "%s", msg);
	free(msg);
	if (*err && !(*err)->errnum)	/* never the shared out-of-memory error */
		(*err)->errnum = errnum;
	return -1;
}
