// SPDX-License-Identifier: MIT
#include "fan_ownfs.h"

#include <errno.h>
#include <fcntl.h>
#include <libmount.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "../common/util.h"

/* Is mount MNT_ID's root the root of its filesystem (no bind of a subdirectory)? */
static int mount_shows_whole_fs(uint64_t mnt_id, bool *whole, struct error **err)
{
	struct libmnt_table *tb = mnt_new_table_from_file("/proc/self/mountinfo");
	struct libmnt_iter *it = mnt_new_iter(MNT_ITER_FORWARD);
	struct libmnt_fs *fs;
	int ret = -1;

	if (!tb || !it) {
		error_set(err, ENOMEM, "read /proc/self/mountinfo");
		goto out;
	}
	while (ret < 0 && mnt_table_next_fs(tb, it, &fs) == 0) {
		const char *root = mnt_fs_get_root(fs);

		if ((uint64_t)mnt_fs_get_id(fs) != mnt_id)
			continue;
		*whole = root && strcmp(root, "/") == 0;
		ret = 0;
	}
	if (ret < 0)
		error_set(err, ENOENT, "mount %llu in /proc/self/mountinfo",
			  (unsigned long long)mnt_id);
out:
	mnt_free_iter(it);
	mnt_unref_table(tb);
	return ret;
}

/* Is DIR the root of a mount of a whole filesystem other than the root's? */
static int own_root(const char *dir, const struct stat *rootfs, bool *own,
		    struct error **err)
{
	struct statx sx;

	*own = false;
	if (statx(AT_FDCWD, dir, AT_SYMLINK_NOFOLLOW, STATX_MNT_ID, &sx) < 0)
		return error_set(err, errno, "statx %s", dir);
	if (!(sx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) ||
	    !(sx.stx_attributes & STATX_ATTR_MOUNT_ROOT) || !(sx.stx_mask & STATX_MNT_ID))
		return 0;
	if (makedev(sx.stx_dev_major, sx.stx_dev_minor) == rootfs->st_dev)
		return 0;
	return mount_shows_whole_fs(sx.stx_mnt_id, own, err);
}

int fan_store_own_fs(const char *store, bool *own, struct error **err)
{
	const char *force = getenv(FAN_MARK_ENV);
	struct stat rootfs;
	char *parent;
	int ret;

	*own = false;
	if (force && strcmp(force, "inode") == 0)
		return 0;
	if (stat("/", &rootfs) < 0)
		return error_set(err, errno, "stat /");
	if (own_root(store, &rootfs, own, err) < 0)
		return error_wrap(err, "is the store's filesystem its own");
	if (*own)
		return 0;
	parent = path_join(store, "..");
	if (!parent)
		return error_set(err, ENOMEM, "%s", store);
	ret = own_root(parent, &rootfs, own, err);
	free(parent);
	return ret < 0 ? error_wrap(err, "is the store's filesystem its own") : 0;
}
