// SPDX-License-Identifier: MIT
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

void lowerfs_log(const char *fmt, ...)
{
	FILE *f = log_stream ? log_stream : stderr;
	struct timeval tv;
	struct tm tm;
	char stamp[32];
	va_list ap;

	gettimeofday(&tv, NULL);
	localtime_r(&tv.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	flockfile(f);
	fprintf(f, "%s.%03ld lowerfs[%d]: ", stamp, (long)tv.tv_usec / 1000,
		(int)getpid());
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fputc('\n', f);
	fflush(f);
	funlockfile(f);
}
