// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdio.h>

#include "log.h"

static image_log_fn *log_hook;

void image_set_log(image_log_fn *fn)
{
	log_hook = fn;
}

static void log_default(const char *fmt, va_list ap)
{
	int saved = errno;

	flockfile(stderr);
	fprintf(stderr, "%s: ", program_invocation_short_name);
	errno = saved;		/* %m names the caller's error */
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	funlockfile(stderr);
}

void image_log(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(log_hook ? log_hook : log_default)(fmt, ap);
	va_end(ap);
}
