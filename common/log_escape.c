// SPDX-License-Identifier: MIT
#include "log_escape.h"

#include <locale.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>
#include <wctype.h>

/* Bidi embedding, override and isolate controls: they reorder a line. */
static bool reorders(wchar_t wc)
{
	return (wc >= 0x202a && wc <= 0x202e) || (wc >= 0x2066 && wc <= 0x2069);
}

/* The escaped form of S; without a UTF-8 decoder (UTF8 false) every
 * byte past ASCII is escaped. */
static void escape_to(FILE *out, const char *s, bool utf8)
{
	size_t len = strlen(s), i = 0, n;
	mbstate_t st;
	wchar_t wc;

	while (i < len) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\\') {
			fputs("\\\\", out);
			i++;
			continue;
		}
		if (c < 0x80) {
			if (c < 0x20 || c == 0x7f)
				fprintf(out, "\\x%02x", c);
			else
				fputc(c, out);
			i++;
			continue;
		}
		memset(&st, 0, sizeof(st));
		n = utf8 ? mbrtowc(&wc, s + i, len - i, &st) : (size_t)-1;
		if (n == (size_t)-1 || n == (size_t)-2 || n == 0) {
			fprintf(out, "\\x%02x", c);	/* not UTF-8 */
			i++;
			continue;
		}
		if (!iswprint((wint_t)wc) || reorders(wc))
			fprintf(out, "\\u{%04x}", (unsigned)wc);
		else
			fwrite(s + i, 1, n, out);
		i += n;
	}
}

char *log_escape(const char *s)
{
	/* what is valid UTF-8 must not depend on the caller's locale;
	 * Debian's libc-bin always has C.UTF-8 */
	locale_t utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0), old;
	char *buf = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&buf, &size);

	if (!out) {
		if (utf8)
			freelocale(utf8);
		return NULL;
	}
	if (utf8) {
		old = uselocale(utf8);
		escape_to(out, s, true);
		uselocale(old);
		freelocale(utf8);
	} else {
		escape_to(out, s, false);
	}
	if (fclose(out) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}
