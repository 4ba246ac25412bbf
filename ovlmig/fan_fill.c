// SPDX-License-Identifier: MIT
#include "fan_fill.h"

#include <errno.h>
#include <stdbool.h>
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

/*
 * Whole now (FD, holes/REL): untagged, linked into data/ (replacing a
 * copy a fill put there: one inode holds the bytes), no more events.
 */
static int finish_whole(const struct fan_fill_ctx *c, int fd, const char *rel,
			struct error **err)
{
	int r;

	if (fan_tag_clear(fd, err) < 0)
		return -1;
	r = fan_holes_link(fd, c->datafd, c->tmpfd, rel, err);
	if (r < 0)
		return -1;
	if (r == 1)	/* the reader's bytes are right: said, not denied */
		error_report(err, "ovlmig fanfill: data/ keeps a copy of its own", stderr);
	if (c->m->fs)
		fan_ignore_file(c->g, fd);
	else
		fan_unmark_file(c->g, fd);
	return 0;
}

/* Bytes [FROM, END) of SRC (a whole data/ file) into FD at the same offsets. */
static int copy_range(int src, int fd, uint64_t from, uint64_t end,
		      struct error **err)
{
	loff_t in = (loff_t)from, out = (loff_t)from;
	ssize_t n;

	while ((uint64_t)in < end) {
		n = copy_file_range(src, &in, fd, &out, end - (uint64_t)in, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return error_set(err, n < 0 ? errno : EIO, "copy from data/ at %lld",
					 (long long)in);
	}
	return 0;
}

/* LEN bytes of BUF at OFF of FD; -1 with errno. */
static int pwrite_all(int fd, const char *buf, size_t len, off_t off)
{
	while (len) {
		ssize_t n = pwrite(fd, buf, len, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO;
			return -1;
		}
		buf += n;
		len -= (size_t)n;
		off += n;
	}
	return 0;
}

/* Bytes [FROM, END) of NODE, read through the image library, into FD. */
#define READ_PIECE (1u << 20)
static int read_range(const struct fan_fill_ctx *c, uint32_t node, int fd,
		      uint64_t from, uint64_t end, struct error **err)
{
	char *buf = malloc(READ_PIECE);
	int ret = 0;

	if (!buf)
		return error_set(err, ENOMEM, "%u bytes", READ_PIECE);
	while (from < end && !ret) {
		size_t want = end - from < READ_PIECE ? (size_t)(end - from) : READ_PIECE;
		ssize_t got = image_read(c->h, node, from, buf, want, err);

		if (got < 0)
			ret = -1;
		else if ((size_t)got != want)
			ret = error_set(err, EIO, "the image gave %zd of %zu bytes at %llu",
					got, want, (unsigned long long)from);
		else if (pwrite_all(fd, buf, want, (off_t)from) < 0)
			ret = error_set(err, errno, "write at %llu", (unsigned long long)from);
		else
			from += want;
	}
	free(buf);
	return ret;
}

/*
 * FD (the placeholder at REL) locked against the store's other fillers and
 * its size in *ST: what both fills start from.
 */
static int lock_placeholder(int fd, const char *rel, struct stat *st,
			    struct error **err)
{
	if (flock(fd, LOCK_EX) < 0)
		return error_set(err, errno, "lock placeholder holes/%s", rel);
	if (fstat(fd, st) < 0)
		return error_set(err, errno, "placeholder holes/%s", rel);
	return 0;
}

int fan_fill_prefix(const struct fan_fill_ctx *c, int evfd, uint32_t node,
		    uint64_t end, bool *whole, struct error **err)
{
	uint64_t size = image_tree(c->h)->nodes[node].size, from;
	const char *rel = c->dp->path[node];
	long page = sysconf(_SC_PAGESIZE);
	struct stat st;
	int fd, src, ret = -1;

	*whole = false;
	if (end > size)
		end = size;
	fd = reopen_writable(c->mntfd, evfd, err);
	if (fd < 0)
		return error_wrap(err, "placeholder holes/%s", rel);
	if (lock_placeholder(fd, rel, &st, err) < 0)
		goto out;
	from = (uint64_t)st.st_size;
	if (from > size || (from != size && from % (uint64_t)page)) {
		/* not a prefix this filler leaves: cut back to a page boundary */
		from = from > size ? 0 : from / (uint64_t)page * (uint64_t)page;
		if (ftruncate(fd, (off_t)from) < 0) {
			error_set(err, errno, "cut placeholder holes/%s to %llu bytes", rel,
				  (unsigned long long)from);
			goto out;
		}
	}
	if (from < end) {
		src = data_open(c->datafd, rel, size);
		if (src >= 0) {
			ret = copy_range(src, fd, from, end, err);
			close(src);
		} else {
			ret = read_range(c, node, fd, from, end, err);
		}
		if (ret < 0) {
			/* back to the prefix it was: a part of a page would map as zeros */
			if (ftruncate(fd, (off_t)from) < 0)
				fprintf(stderr, "ovlmig fanfill: cut holes/%s back: %s\n", rel,
					strerror(errno));
			goto out;
		}
		ret = -1;
		if (fstat(fd, &st) < 0 || (uint64_t)st.st_size != end) {
			error_set(err, EIO, "filled to %lld bytes, not %llu",
				  (long long)st.st_size, (unsigned long long)end);
			goto out;
		}
	}
	if (end == size) {
		if (finish_whole(c, fd, rel, err) < 0)
			goto out;
		*whole = true;
	}
	ret = 0;
out:
	close(fd);
	if (ret < 0)
		error_wrap(err, "fill holes/%s to %llu", rel, (unsigned long long)end);
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
	/* after another filler of the store held it: whole */
	if (lock_placeholder(fd, rel, &st, err) < 0)
		goto out;
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
	if (finish_whole(c, fd, rel, err) < 0)
		goto out;
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
