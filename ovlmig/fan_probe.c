// SPDX-License-Identifier: MIT
#include "fan_probe.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/util.h"
#include "fan_kernel.h"

/* lowerfs' own ways of reading the image, which the filler has not */
static const struct {
	const char *option, *why;
} lowerfs_only[] = {
	{ "--prefetch", "--prefetch is lowerfs's: the fanotify filler does not prefetch" },
	{ "--prefetch-list", "--prefetch-list is lowerfs's: the fanotify filler does not prefetch" },
	{ "--prefetch-bandwidth", "--prefetch-bandwidth is lowerfs's: the fanotify filler does not prefetch" },
	{ "--whole-file-max", "--whole-file-max is lowerfs's: the fanotify filler fetches files whole" },
};

const char *fan_probe_options(char **args)
{
	size_t i;

	for (; args && *args; args++)
		for (i = 0; i < ARRAY_SIZE(lowerfs_only); i++)
			if (!strcmp(*args, lowerfs_only[i].option))
				return lowerfs_only[i].why;
	return NULL;
}

/* STORE_ROOT's nearest directory that exists, open; -1 if none can be. */
static int open_existing(const char *store_root)
{
	char *path = strdup(store_root), *parent;
	int fd = -1;

	while (path) {
		fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd >= 0 || errno != ENOENT || !strcmp(path, "/"))
			break;
		/* dirname() cuts PATH in place, or returns "." or "/" */
		parent = dirname(path);
		memmove(path, parent, strlen(parent) + 1);
	}
	free(path);
	return fd;
}

/* Can a pre-content group mark DIRFD's filesystem? NULL, or why not. */
static const char *mark_probe(int dirfd)
{
	int g = fanotify_init(FAN_CLASS_PRE_CONTENT | FAN_CLOEXEC, O_RDONLY | O_CLOEXEC);
	const char *why = NULL;

	if (g < 0 && errno == EMFILE)	/* a filler holds one group each */
		return "no more fanotify groups (fs.fanotify.max_user_groups)";
	if (g < 0)
		return errno == EINVAL || errno == ENOSYS ?
		       "this kernel has no fanotify pre-content events (Linux >= 6.14)" :
		       "fanotify_init(FAN_CLASS_PRE_CONTENT) failed";
	/*
	 * FAN_PRE_ACCESS alone (what tmpfs lacks), on the directory: an
	 * inode mark raises nothing here, as the directory is not read,
	 * and goes with the group.
	 */
	if (fanotify_mark(g, FAN_MARK_ADD, FAN_PRE_ACCESS, dirfd, NULL) < 0)
		why = errno == EOPNOTSUPP || errno == EINVAL ?
		      "the image store's filesystem has no fanotify pre-content events (ext4 and XFS have)" :
		      "a fanotify mark on the image store failed";
	close(g);
	return why;
}

const char *fan_probe_store(const char *store_root)
{
	struct stat st, root;
	const char *why;
	int fd = open_existing(store_root);

	if (fd < 0)
		return "the image store cannot be opened";
	/* never a mark on the root filesystem: the filler refuses it too */
	if (fstat(fd, &st) < 0 || stat("/", &root) < 0)
		why = "the image store cannot be opened";
	else if (st.st_dev == root.st_dev)
		why = "the image store is on the root filesystem";
	else
		why = mark_probe(fd);
	close(fd);
	return why;
}
