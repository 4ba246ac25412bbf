/* SPDX-License-Identifier: MIT */
/*
 * A companion's span digests (referrers.h, MT_COMPANION_SPANS), fetched
 * a page at a time by the reads that need them: the sha256 of each span
 * (a frame of the companion) is only known once its page has come and
 * matched the page's sha256 from the artifact. Until then the span's
 * digest is zeros, which no span matches: a read that did not ask first
 * fails (EIO), it never passes unchecked.
 */
#ifndef IMAGE_SPAN_PAGES_H
#define IMAGE_SPAN_PAGES_H

#include <stdint.h>

#include "../common/error.h"
#include "fetch.h"

struct span_pages;

/*
 * For NSPANS spans whose digests are at URL, pages checked against
 * PAGES_HEX (the sha256 of each page, hex, back to back).
 */
int span_pages_new(const char *url, const char *pages_hex, uint32_t nspans,
		   struct span_pages **out, struct error **err);
/*
 * Spans FIRST..LAST's digests into SPAN_SHA256 (NSPANS entries): each
 * page not there yet fetched (one range request for a run of them),
 * checked, kept. A page that does not match is fetched once more, then
 * the read fails. Thread-safe.
 */
int span_pages_ensure(struct span_pages *p, struct fetcher *f,
		      uint8_t (*span_sha256)[32], uint32_t first, uint32_t last,
		      struct error **err);
void span_pages_free(struct span_pages *p);

#endif
