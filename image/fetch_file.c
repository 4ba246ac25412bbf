// SPDX-License-Identifier: MIT
/* Local layers: plain paths and file:// URLs, read with pread. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/util.h"
#include "fetch_int.h"

#define STREAM_PIECE (256u << 10)

bool url_is_local(const char *url)
{
	return !strncmp(url, "file://", 7) || !strstr(url, "://");
}

const char *fetch_local_path(const char *url)
{
	if (!url_is_local(url))
		return NULL;
	if (strncmp(url, "file://", 7))
		return url;
	url += 7;
	if (!strncmp(url, "localhost/", 10))
		url += 9;
	return *url == '/' ? url : NULL;
}

/* The file shrank under us: EIO. Counted as fetched bytes, like a body. */
static int read_exact(struct fetcher *f, int fd, void *buf, size_t len,
		      uint64_t off)
{
	if (pread_all(fd, buf, len, off) < 0)
		return -1;
	atomic_fetch_add(&f->bytes, (uint64_t)len);
	return 0;
}

static int do_range(struct fetcher *f, struct xfer *x, int fd, uint64_t size,
		    const char *path)
{
	if (x->off > size || x->len > size - x->off)
		return error_set_msg(&x->err, EIO, "read %s (bytes %llu-%llu): the file has %llu bytes",
				     path, (unsigned long long)x->off,
				     (unsigned long long)(x->off + x->len - 1),
				     (unsigned long long)size);
	if (read_exact(f, fd, x->buf, x->len, x->off) < 0)
		return error_set(&x->err, errno, "read %s (bytes %llu-%llu)", path,
				 (unsigned long long)x->off,
				 (unsigned long long)(x->off + x->len - 1));
	x->total = (int64_t)size;
	return 0;
}

static int do_whole(struct fetcher *f, struct xfer *x, int fd, uint64_t size,
		    const char *path)
{
	if (size > x->max)
		return error_set_msg(&x->err, EFBIG, "read %s: %llu bytes, more than %zu",
				     path, (unsigned long long)size, x->max);
	x->body = malloc((size_t)size + 1);
	if (!x->body)
		return error_set(&x->err, ENOMEM, "read %s", path);
	if (read_exact(f, fd, x->body, (size_t)size, 0) < 0)
		return error_set(&x->err, errno, "read %s", path);
	x->body[size] = '\0';
	x->body_len = (size_t)size;
	return 0;
}

static int do_stream(struct fetcher *f, struct xfer *x, int fd, uint64_t size,
		     const char *path)
{
	char *buf = malloc(STREAM_PIECE);
	uint64_t off = 0;

	if (!buf)
		return error_set(&x->err, ENOMEM, "read %s", path);
	while (off < size) {
		size_t n = size - off < STREAM_PIECE ? (size_t)(size - off) : STREAM_PIECE;

		if (read_exact(f, fd, buf, n, off) < 0) {
			error_set(&x->err, errno, "read %s at %llu", path,
				  (unsigned long long)off);
			break;
		}
		if (x->cb(x->cb_ctx, buf, n, &x->err) < 0)
			break;
		off += n;
	}
	free(buf);
	return x->err ? -1 : 0;
}

int file_run(struct fetcher *f, struct xfer *x)
{
	const char *path = fetch_local_path(x->url);
	struct stat st;
	int fd, ret;

	x->length = -1;
	x->total = -1;
	if (!path)
		return error_set_msg(&x->err, EINVAL, "%s: only file:///PATH is supported", x->url);
	if (x->kind == XFER_RANGE && !x->len)
		return 0;
	if (x->kind == XFER_SEND)
		return error_set_msg(&x->err, EINVAL, "%s: cannot %s to a local file",
				     path, x->method);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return error_set(&x->err, errno, "open %s", path);
	if (fstat(fd, &st) < 0) {
		ret = error_set(&x->err, errno, "stat %s", path);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		ret = error_set_msg(&x->err, EINVAL, "%s: not a regular file", path);
		goto out;
	}
	switch (x->kind) {
	case XFER_HEAD:
		x->length = st.st_size;
		ret = 0;
		break;
	case XFER_RANGE:
		ret = do_range(f, x, fd, (uint64_t)st.st_size, path);
		break;
	case XFER_WHOLE:
		ret = do_whole(f, x, fd, (uint64_t)st.st_size, path);
		break;
	default:
		ret = do_stream(f, x, fd, (uint64_t)st.st_size, path);
		break;
	}
out:
	close(fd);
	return ret;
}
