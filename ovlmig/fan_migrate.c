// SPDX-License-Identifier: MIT
#include "fan_migrate.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/util.h"
#include "../image/store_data.h"
#include "beneath.h"
#include "fan_holes.h"

/*
 * REL's placeholder whole: filled by the filler at this open if it was
 * not, or (a file it fills by ranges, fan_range.h) at a read of its last
 * byte, whose event fills the prefix up to the end.
 */
int fan_hole_whole(int holesfd, const char *rel, uint64_t size,
		   struct error **err)
{
	int fd = beneath_open(holesfd, rel, O_RDONLY | O_NOFOLLOW, 0);
	struct stat st;
	char last;
	int ret = 0;

	if (fd < 0)
		return errno == ENOENT ? 0 : error_set(err, errno, "open holes/%s", rel);
	if (fstat(fd, &st) < 0)
		ret = error_set(err, errno, "holes/%s", rel);
	else if ((uint64_t)st.st_size != size && size &&
		 (pread(fd, &last, 1, (off_t)(size - 1)) < 0 || fstat(fd, &st) < 0))
		ret = error_set(err, errno, "read the end of holes/%s", rel);
	if (ret == 0 && (uint64_t)st.st_size != size)
		ret = error_set(err, EIO, "holes/%s: not filled (%lld of %llu bytes): "
				"is the filler running? (filler.log)", rel,
				(long long)st.st_size, (unsigned long long)size);
	close(fd);
	return ret;
}

int fan_holes_complete(const char *store, struct image_handle *h,
		       struct error **err)
{
	const struct image *img = image_tree(h);
	char *holes = path_join(store, FAN_HOLES_DIR);
	struct data_paths dp = { 0 };
	int holesfd = -1, ret = -1;
	uint32_t node;

	if (!holes) {
		error_set(err, ENOMEM, "%s", store);
		goto out;
	}
	holesfd = open(holes, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (holesfd < 0) {
		ret = errno == ENOENT ? 0 : error_set(err, errno, "open %s", holes);
		goto out;
	}
	if (data_paths_build(img, &dp, err) < 0)
		goto out;
	for (node = 0; node < dp.count; node++)
		if (dp.path[node] &&
		    fan_hole_whole(holesfd, dp.path[node], img->nodes[node].size, err) < 0)
			goto out;
	ret = 0;
out:
	if (ret < 0)
		error_wrap(err, "image store %s", store);
	if (holesfd >= 0)
		close(holesfd);
	data_paths_free(&dp);
	free(holes);
	return ret;
}
