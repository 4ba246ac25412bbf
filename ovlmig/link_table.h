/* SPDX-License-Identifier: MIT */
/*
 * The hardlink groups a nofollow migration meets: for each lower inode
 * (st_dev, st_ino as the overlay showed it before copy-up) the path of
 * the name that was copied up first. Without index=on copy-up splits a
 * group; its other names are linked to that first copy again.
 */
#ifndef OVLMIG_LINK_TABLE_H
#define OVLMIG_LINK_TABLE_H

#include <stddef.h>
#include <sys/types.h>

struct link_entry {
	dev_t dev;
	ino_t ino;
	char *path;		/* relative to the overlay root; NULL: free slot */
};

struct link_table {
	struct link_entry *slots;
	size_t cap, used;
};

/* The path recorded for (DEV, INO), or NULL. */
const char *link_table_get(const struct link_table *t, dev_t dev, ino_t ino);
/* Record a copy of PATH for (DEV, INO), replacing any. -1 (ENOMEM). */
int link_table_put(struct link_table *t, dev_t dev, ino_t ino, const char *path);
void link_table_free(struct link_table *t);

#endif
