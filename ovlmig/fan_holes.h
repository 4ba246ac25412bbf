/* SPDX-License-Identifier: MIT */
/*
 * Placeholders of the fanotify fill: STORE/holes/PATH for every regular
 * file of the image that STORE/data/PATH does not hold whole, PATH being
 * what META's redirect names. The overlay's data layers are data/, then
 * holes/, so a file resolves to holes/ only while data/ lacks it, and
 * data/ keeps its rule (a file there is whole) for every other mount of
 * the image, FUSE ones included.
 *
 * A placeholder is empty (size 0), not a sparse file of the right size:
 * measured on 6.18 through the overlay, an empty data file reads as end
 * of file at offset 0 (read returns 0 where st_size says N), mmap faults
 * with SIGBUS and exec fails; a sparse one would read as zeros. So a
 * reader the filler cannot serve (filler and keeper gone: the kernel then
 * allows the event) gets a short read or an error, never wrong bytes.
 * Filled, a placeholder is linked into data/ (the same inode); if data/
 * got a file of its own meanwhile (migrate's fill, a FUSE mount's
 * lowerfs), that file is replaced by the placeholder (renamed over,
 * through tmp/): the bytes are on disk once, whatever the filesystem.
 */
#ifndef OVLMIG_FAN_HOLES_H
#define OVLMIG_FAN_HOLES_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "../common/error.h"
#include "../image/store_data.h"
#include "../image/tree.h"
#include "fan_group.h"

#define FAN_HOLES_DIR "holes"

/* how a placeholder is filled (fan_range.h): decided at its first event */
enum { FAN_HOLE_HOW_UNKNOWN, FAN_HOLE_HOW_WHOLE, FAN_HOLE_HOW_RANGES };

struct fan_hole {
	ino_t ino;
	uint32_t node;
	bool filled;
	uint8_t how;	/* FAN_HOLE_HOW_* */
};

/* the placeholders marked, by inode number (one filesystem: DEV) */
struct fan_holes {
	struct fan_hole *hole;
	size_t n;
	dev_t dev;
};

/*
 * A placeholder in HOLESFD for each regular file of IMG that DATAFD
 * lacks (made if missing, emptied if a killed fill left it partial),
 * tagged as the store M->key's (fan_tag.h) and, unless M says a
 * filesystem mark covers it, marked for group G; one a killed filler
 * left whole is linked into DATAFD instead (fan_holes_link), also over
 * a copy DATAFD has of its own (one copy on disk). Every fd on
 * the filler's own mount; TMPFD is the store's tmp/.
 */
int fan_holes_lay(int g, const struct fan_marks *m, int datafd, int holesfd,
		  int tmpfd,
		  const struct image *img,
		  const struct data_paths *dp, struct fan_holes *out,
		  struct error **err);

/* The placeholder DEV/INO, or NULL: not one of ours. */
struct fan_hole *fan_holes_find(struct fan_holes *t, dev_t dev, ino_t ino);

/*
 * FD, the whole placeholder, as DATAFD/REL: linked in; if REL is there
 * as another inode (a fill put its own copy there), that one is replaced
 * by FD through a link in TMPFD (the same mount) and a rename, so one
 * inode holds the bytes. 0: done; -1: data/REL may lack the file; 1:
 * the replacement failed (*ERR says why), data/REL is as it was (whole,
 * a second copy): the fill itself is good, the caller says it and goes on.
 */
int fan_holes_link(int fd, int datafd, int tmpfd, const char *rel,
		   struct error **err);

void fan_holes_free(struct fan_holes *t);

#endif
