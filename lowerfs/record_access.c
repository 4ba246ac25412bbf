// SPDX-License-Identifier: MIT
/*
 * --record-access: the path of every file opened, once, for a later
 * --prefetch-list. The data path notes each first open here.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lowerfs.h"

int record_access_open(struct lowerfs *fs, struct error **err)
{
	pthread_mutex_init(&fs->record_lock, NULL);
	if (!fs->opts.record_access)
		return 0;
	fs->record = fopen(fs->opts.record_access, "ae");
	if (!fs->record)
		return error_set(err, errno, "--record-access %s",
				 fs->opts.record_access);
	return 0;
}

void record_access(struct lowerfs *fs, uint32_t node)
{
	char *path;

	if (!fs->record || atomic_exchange(&fs->nodes[node].recorded, true))
		return;
	path = image_path(&fs->img, node);
	if (!path)
		return;
	pthread_mutex_lock(&fs->record_lock);
	/* one line per file, flushed: the list survives a kill */
	if (fprintf(fs->record, "%s\n", path) < 0 || fflush(fs->record) != 0)
		lowerfs_log("--record-access %s: %s", fs->opts.record_access,
			    strerror(errno));
	pthread_mutex_unlock(&fs->record_lock);
	free(path);
}

void record_access_close(struct lowerfs *fs)
{
	if (fs->record)
		fclose(fs->record);
	fs->record = NULL;
	pthread_mutex_destroy(&fs->record_lock);
}
