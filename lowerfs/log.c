// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "lowerfs.h"

static FILE *log_stream;

void lowerfs_log_to(FILE *f)
{
	log_stream = f;
}

void lowerfs_vlog(const char *fmt, va_list ap)
{
	FILE *f = log_stream ? log_stream : stderr;
	int saved = errno;
	struct timeval tv;
	struct tm tm;
	char stamp[32];

	gettimeofday(&tv, NULL);
	localtime_r(&tv.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	flockfile(f);
	fprintf(f, "%s.%03ld lowerfs[%d]: ", stamp, (long)tv.tv_usec / 1000,
		(int)getpid());
	errno = saved;		/* %m names the caller's error */
	vfprintf(f, fmt, ap);
	fputc('\n', f);
	fflush(f);
	funlockfile(f);
}

void lowerfs_log(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	lowerfs_vlog(fmt, ap);
	va_end(ap);
}
