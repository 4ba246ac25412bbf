/* SPDX-License-Identifier: MIT */
#ifndef OVLMIG_LOG_ESCAPE_H
#define OVLMIG_LOG_ESCAPE_H

/*
 * S made safe for one line of a log, in a fresh allocation (NULL on
 * ENOMEM): untrusted text must not start a line of its own or hide what
 * follows. A backslash becomes "\\", a control byte or a byte that is
 * not part of valid UTF-8 "\xHH", a character that is not printable
 * (U+0085, U+2028, ...) or reorders text (bidi controls) "\u{HHHH}".
 * Everything else, valid UTF-8 included, stays as it is.
 */
char *log_escape(const char *s);

#endif
