// SPDX-License-Identifier: MIT
#include "fan_fill.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fan_group.h"
#include "fan_holes.h"
#include "fan_tag.h"

/* EVFD's inode, opened for writing on the filler's mount MNTFD. */
static int reopen_writable(int mntfd, int evfd, struct error **err)
{
	union {
		struct file_handle fh;
		char buf[sizeof(struct file_handle) + MAX_HANDLE_SZ];
	} u = { .fh.handle_bytes = MAX_HANDLE_SZ };
	int mount_id, fd;

	if (name_to_handle_at(evfd, "", &u.fh, &mount_id, AT_EMPTY_PATH) < 0)
		return error_set(err, errno, "name_to_handle_at");
	fd = open_by_handle_at(mntfd, &u.fh, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return error_set(err, errno, "open_by_handle_at");
	return fd;
}

/* SIZE bytes of SRC into FD, in the kernel (a reflink where it can). */
static int copy_all(int src, int fd, uint64_t size, struct error **err)
{
	uint64_t done = 0;
	ssize_t n;

	while (done < size) {
		n = copy_file_range(src, NULL, fd, NULL, size - done, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return error_set(err, n < 0 ? errno : EIO, "copy from data/");
		done += (uint64_t)n;
	}
	return 0;
}

/* The bytes: from data/ if a fill put the file there whole, else fetched. */
static int fill_bytes(const struct fan_fill_ctx *c, uint32_t node, int fd,
		      uint64_t size, struct error **err)
{
	int src = data_open(c->datafd, c->dp->path[node], size), ret;

	if (src < 0)
		return image_fetch_fd(c->h, node, fd, err);
	ret = copy_all(src, fd, size, err);
	close(src);
	return ret;
}

int fan_fill(const struct fan_fill_ctx *c, int evfd, uint32_t node,
	     struct error **err)
{
	uint64_t size = image_tree(c->h)->nodes[node].size;
	const char *rel = c->dp->path[node];
	struct stat st;
	int fd, ret = -1;

	fd = reopen_writable(c->mntfd, evfd, err);
	if (fd < 0)
		return error_wrap(err, "placeholder holes/%s", rel);
	/* another filler of the store may be filling it: after that, whole */
	if (flock(fd, LOCK_EX) < 0) {
		error_set(err, errno, "lock placeholder holes/%s", rel);
		goto out;
	}
	if (fstat(fd, &st) < 0) {
		error_set(err, errno, "placeholder holes/%s", rel);
		goto out;
	}
	if ((uint64_t)st.st_size != size) {
		/* from byte 0: what a failed try left is no prefix to trust */
		if (ftruncate(fd, 0) < 0 || lseek(fd, 0, SEEK_SET) < 0) {
			error_set(err, errno, "empty placeholder holes/%s", rel);
			goto out;
		}
		if (fill_bytes(c, node, fd, size, err) < 0)
			goto fail;
		if (fstat(fd, &st) < 0 || (uint64_t)st.st_size != size) {
			error_set(err, EIO, "fetched %lld bytes, the image says %llu",
				  (long long)st.st_size, (unsigned long long)size);
			goto fail;
		}
	}
	/* whole now: the keeper may allow its events at once */
	if (fan_tag_clear(fd, err) < 0 || fan_holes_link(fd, c->datafd, rel, err) < 0)
		goto out;
	if (c->m->fs)
		fan_ignore_file(c->g, fd);
	else
		fan_unmark_file(c->g, fd);
	ret = 0;
	goto out;
fail:
	/* empty again: a reader left alone gets a short read, not a part */
	if (ftruncate(fd, 0) < 0)
		fprintf(stderr, "ovlmig fanfill: empty holes/%s again: %s\n", rel,
			strerror(errno));
out:
	close(fd);
	if (ret < 0)
		error_wrap(err, "fill holes/%s", rel);
	return ret;
}
