// SPDX-License-Identifier: MIT
#include "store_data.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../common/util.h"

static int walk(const struct image *img, struct data_paths *dp, uint32_t dir,
		const char *rel, struct error **err)
{
	const struct image_node *d = &img->nodes[dir];
	uint32_t i;

	for (i = 0; i < d->nchildren; i++) {
		uint32_t node = d->children[i].node;
		const struct image_node *n = &img->nodes[node];
		char *path;
		int ret = 0;

		if (!S_ISDIR(n->mode) && (!S_ISREG(n->mode) || dp->path[node]))
			continue;
		path = path_join(rel, d->children[i].name);
		if (!path)
			return error_set(err, ENOMEM, "data paths");
		if (S_ISDIR(n->mode)) {
			ret = walk(img, dp, node, path, err);
			free(path);
		} else {
			dp->path[node] = path;
		}
		if (ret < 0)
			return -1;
	}
	return 0;
}

int data_paths_build(const struct image *img, struct data_paths *dp,
		     struct error **err)
{
	dp->count = img->count;
	dp->path = calloc(img->count ? img->count : 1, sizeof(*dp->path));
	if (!dp->path)
		return error_set(err, ENOMEM, "data paths of %u entries", img->count);
	if (img->count && walk(img, dp, 0, "", err) < 0) {
		data_paths_free(dp);
		return -1;
	}
	return 0;
}

void data_paths_free(struct data_paths *dp)
{
	uint32_t i;

	if (!dp->path)
		return;
	for (i = 0; i < dp->count; i++)
		free(dp->path[i]);
	free(dp->path);
	dp->path = NULL;
	dp->count = 0;
}

int data_open_parent(int datafd, const char *rel, const char **name,
		     struct error **err)
{
	char *copy = strdup(rel), *p, *slash;
	int fd = dup(datafd), next;

	if (!copy || fd < 0) {
		error_set(err, copy ? errno : ENOMEM, "data/%s", rel);
		goto fail;
	}
	for (p = copy; (slash = strchr(p, '/')); p = slash + 1) {
		*slash = '\0';
		if (mkdirat(fd, p, 0700) < 0 && errno != EEXIST) {
			error_set(err, errno, "mkdir data/%s", copy);
			goto fail;
		}
		next = openat(fd, p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0) {
			error_set(err, errno, "open data/%s", copy);
			goto fail;
		}
		close(fd);
		fd = next;
		*slash = '/';
	}
	*name = rel + (p - copy);
	free(copy);
	return fd;
fail:
	if (fd >= 0)
		close(fd);
	free(copy);
	return -1;
}

int data_open(int datafd, const char *rel, uint64_t size)
{
	struct open_how how = {
		.flags = O_RDONLY | O_NOFOLLOW | O_CLOEXEC,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
			   RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV,
	};
	struct stat st;
	int fd = (int)syscall(SYS_openat2, datafd, rel, &how, sizeof(how));

	if (fd < 0)
		return -1;
	/* a size short of the image's: data lost by a crash before a sync */
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    (uint64_t)st.st_size != size) {
		close(fd);
		return -1;
	}
	return fd;
}

bool data_present(int datafd, const char *rel, uint64_t size)
{
	int fd = data_open(datafd, rel, size);

	if (fd < 0)
		return false;
	close(fd);
	return true;
}

/* FD's SIZE bytes into the new file OUT. */
static int copy_data(int fd, int out, uint64_t size, struct error **err)
{
	uint64_t off = 0;
	char buf[65536];
	ssize_t n;

	while (off < size) {
		loff_t in = (loff_t)off;

		n = copy_file_range(fd, &in, out, NULL, size - off, 0);
		if (n < 0 && (errno == EXDEV || errno == EINVAL ||
			      errno == ENOSYS || errno == EOPNOTSUPP))
			break;	/* not between these two: read and write */
		if (n < 0)
			return error_set(err, errno, "copy");
		if (n == 0)
			return error_set_msg(err, EIO, "copy: the file ends at %llu of %llu bytes",
					     (unsigned long long)off, (unsigned long long)size);
		off += (uint64_t)n;
	}
	while (off < size) {
		n = pread(fd, buf, size - off < sizeof(buf) ? size - off : sizeof(buf),
			  (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return error_set(err, n < 0 ? errno : EIO, "copy at %llu",
					 (unsigned long long)off);
		if (write_all(out, buf, (size_t)n) < 0)
			return error_set(err, errno, "copy at %llu",
					 (unsigned long long)off);
		off += (uint64_t)n;
	}
	return 0;
}

/* FD as TMPFD/TMPNAME: a second name for it if the filesystem allows, else a copy. */
static int make_tmp(int tmpfd, const char *tmpname, int fd, uint64_t size,
		    struct error **err)
{
	int out, ret;

	/* a name a killed process left */
	if (unlinkat(tmpfd, tmpname, 0) < 0 && errno != ENOENT)
		return error_set(err, errno, "remove tmp/%s", tmpname);
	if (linkat(fd, "", tmpfd, tmpname, AT_EMPTY_PATH) == 0)
		return 0;
	/* another filesystem, or the file was removed: copy its data */
	out = openat(tmpfd, tmpname, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		     O_CLOEXEC, 0600);
	if (out < 0)
		return error_set(err, errno, "create tmp/%s", tmpname);
	ret = copy_data(fd, out, size, err);
	if (close(out) < 0 && ret == 0)
		ret = error_set(err, errno, "close tmp/%s", tmpname);
	if (ret < 0) {
		unlinkat(tmpfd, tmpname, 0);
		return error_wrap(err, "tmp/%s", tmpname);
	}
	return 0;
}

int data_place(int datafd, int tmpfd, const char *tmpname, const char *rel,
	       int fd, uint64_t size, struct error **err)
{
	const char *name;
	struct stat st;
	int dirfd;

	/* never a file that is not whole: the overlay takes it at once */
	if (fstat(fd, &st) < 0)
		return error_set(err, errno, "data/%s", rel);
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size != size)
		return error_set_msg(err, EINVAL, "data/%s: %lld bytes, the image says %llu",
				     rel, (long long)st.st_size, (unsigned long long)size);
	dirfd = data_open_parent(datafd, rel, &name, err);
	if (dirfd < 0)
		return -1;
	if (make_tmp(tmpfd, tmpname, fd, size, err) < 0) {
		close(dirfd);
		return error_wrap(err, "data/%s", rel);
	}
	if (renameat(tmpfd, tmpname, dirfd, name) < 0) {
		error_set(err, errno, "rename into data/%s", rel);
		unlinkat(tmpfd, tmpname, 0);
		close(dirfd);
		return -1;
	}
	close(dirfd);
	return 0;
}
