/* SPDX-License-Identifier: MIT */
/*
 * Logging of the image library. The library never chooses where its
 * messages go: the program sets a hook (lowerfs: its timestamped log);
 * without one, a message goes to stderr as "PROGRAM: message".
 */
#ifndef IMAGE_LOG_H
#define IMAGE_LOG_H

#include <stdarg.h>

/* One message without its newline; errno is the caller's, for %m. */
typedef void image_log_fn(const char *fmt, va_list ap);

/* Set before any other thread runs; NULL restores the default. */
void image_set_log(image_log_fn *fn);

void image_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
