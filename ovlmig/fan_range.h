/* SPDX-License-Identifier: MIT */
/*
 * Range fill (issue 16): which placeholders the fanotify filler fills by
 * ranges at FAN_PRE_ACCESS instead of whole at FAN_OPEN_PERM, and how far
 * one read's event fills. Measured on 6.18 (docs/FANOTIFY-KERNEL.md,
 * "Ranges"): every FAN_PRE_ACCESS carries the read's range rounded out
 * to pages; mmap through the overlay raises no event at all, so a file
 * that may be mapped is filled whole at open. The filled part is always
 * a prefix that ends on a page boundary or at the file's end: read
 * unanswered, it gives right bytes then EOF, mapped, right bytes then
 * SIGBUS, never zeros.
 */
#ifndef OVLMIG_FAN_RANGE_H
#define OVLMIG_FAN_RANGE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/fanotify.h>

#include "../image/image.h"

/* --fill-range-min's default: smaller files are filled whole at open */
#define FAN_RANGE_MIN_DEFAULT (16ull << 20)
/* a range fill goes on to the next multiple of this (or the file's end) */
#define FAN_RANGE_GRAIN (2ull << 20)

/* The event's FAN_EVENT_INFO_TYPE_RANGE (offset, count): false if none. */
bool fan_event_range(const struct fanotify_event_metadata *e, uint64_t *off,
		     uint64_t *count);

/*
 * Whether regular file NODE of H, at RELPATH, is filled by ranges (1): at
 * least MIN bytes (0: the default), no execute bit, not named like a
 * shared library (*.so, *.so.*), and not an ELF file (its first 4 bytes
 * read). Everything else may be mapped (executables, libraries, a
 * loader's mmap) and is filled whole at open (0). -1: the first bytes
 * could not be read (the source away): whole this time, ask again later.
 */
int fan_range_fill(struct image_handle *h, uint32_t node, const char *relpath,
		   uint64_t min);

/*
 * Where a fill for a read of [OFF, OFF+COUNT) of a file of SIZE bytes
 * ends: the read's end rounded up to FAN_RANGE_GRAIN, at most SIZE; 0
 * for a read at or past the end (nothing to fill: the reader gets EOF).
 */
uint64_t fan_range_end(uint64_t off, uint64_t count, uint64_t size);

#endif
