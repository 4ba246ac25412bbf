// SPDX-License-Identifier: MIT
#include "error.h"

#include <errno.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* Used when allocating the message itself fails: still say something. */
static struct error oom_error = { ENOMEM, (char *)"out of memory" };

static int set_oom(struct error **err)
{
	*err = &oom_error;
	return -1;
}

/* Make *err from TEXT (taken over), with ERRNUM's strerror appended if SAY_WHY. */
static int set_text(struct error **err, int errnum, char *text, bool say_why)
{
	struct error *e = calloc(1, sizeof(*e));

	if (!e) {
		free(text);
		return set_oom(err);
	}
	e->errnum = errnum;
	if (errnum && say_why) {
		if (asprintf(&e->msg, "%s: %s", text, strerror(errnum)) < 0) {
			free(text);
			free(e);
			return set_oom(err);
		}
		free(text);
	} else {
		e->msg = text;
	}
	*err = e;
	return -1;
}

static int set_va(struct error **err, int errnum, bool say_why,
		  const char *fmt, va_list ap)
{
	char *text = NULL;

	if (vasprintf(&text, fmt, ap) < 0)
		return set_oom(err);
	return set_text(err, errnum, text, say_why);
}

int error_set(struct error **err, int errnum, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = set_va(err, errnum, true, fmt, ap);
	va_end(ap);
	return ret;
}

int error_set_msg(struct error **err, int errnum, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = set_va(err, errnum, false, fmt, ap);
	va_end(ap);
	return ret;
}

int error_wrap(struct error **err, const char *fmt, ...)
{
	char *ctx = NULL, *joined = NULL;
	va_list ap;
	int n;

	if (!*err || *err == &oom_error)
		return -1;
	va_start(ap, fmt);
	n = vasprintf(&ctx, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;	/* keep the inner message rather than nothing */
	if (asprintf(&joined, "%s: %s", ctx, (*err)->msg) >= 0) {
		free((*err)->msg);
		(*err)->msg = joined;
	}
	free(ctx);
	return -1;
}

void error_report(struct error **err, const char *prog, FILE *stream)
{
	if (!*err)
		return;
	fprintf(stream, "%s: %s\n", prog, (*err)->msg);
	error_free(err);
}

void error_free(struct error **err)
{
	if (!*err)
		return;
	if (*err != &oom_error) {
		free((*err)->msg);
		free(*err);
	}
	*err = NULL;
}
