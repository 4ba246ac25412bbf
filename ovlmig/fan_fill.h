/* SPDX-License-Identifier: MIT */
/*
 * Filling one placeholder (fan_holes.h) whole, for the reader that waits
 * on its event: the event's fd is the overlay's read-only backing file,
 * so the placeholder is reopened for writing by its handle on the
 * filler's own mount (whose ignore mark keeps these writes silent).
 */
#ifndef OVLMIG_FAN_FILL_H
#define OVLMIG_FAN_FILL_H

#include "../common/error.h"
#include "../image/image.h"
#include "../image/store_data.h"
#include "fan_group.h"

struct fan_fill_ctx {
	struct image_handle *h;
	const struct data_paths *dp;
	int g;		/* the group: the filled file's mark is removed */
	const struct fan_marks *m;
	int mntfd;	/* a directory on the filler's mount, for the handles */
	int datafd;	/* data/ on that mount */
	int tmpfd;	/* the store's tmp/ on that mount (fan_holes_link) */
};

/*
 * Placeholder EVFD (regular file NODE) filled with the image's bytes:
 * copied from data/ if a fill placed it there (whole, verified), else
 * fetched (the image library verifies them against the index's digests
 * as it fetches), checked whole, untagged, linked into data/, unmarked
 * (with a filesystem mark: ignored until evicted). Already whole: no
 * bytes to write.
 */
int fan_fill(const struct fan_fill_ctx *c, int evfd, uint32_t node,
	     struct error **err);

/*
 * Placeholder EVFD (regular file NODE) filled at least to byte END (at
 * most its size; fan_range.h): the bytes from its current end (a page
 * boundary: a part that is not is cut back to one) to END, from data/
 * if a fill put the file there, else read through the image library
 * (for tar/OCI sources every compressed chunk is checked against the
 * index's sha256, a TOC's spans against theirs, before a byte is
 * returned). What it has filled stays a prefix of the file: on a
 * failure it is cut back to what it was. Filled to the end, it is
 * finished as fan_fill does and *WHOLE is set.
 */
int fan_fill_prefix(const struct fan_fill_ctx *c, int evfd, uint32_t node,
		    uint64_t end, bool *whole, struct error **err);

#endif
