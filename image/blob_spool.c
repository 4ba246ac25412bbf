// SPDX-License-Identifier: MIT
#include "blob_spool.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/fsutil.h"
#include "../common/util.h"
#include "digest.h"

struct blob_spool {
	char *dir;		/* CACHE_DIR/blobs */
	int fd;			/* the unnamed file */
	uint64_t written;
};

int blob_spool_new(const char *cache_dir, struct blob_spool **out,
		   struct error **err)
{
	struct blob_spool *s = calloc(1, sizeof(*s));

	if (!s)
		return error_set(err, ENOMEM, "keep the stream");
	s->fd = -1;
	s->dir = path_join(cache_dir, "blobs");
	if (!s->dir) {
		error_set(err, ENOMEM, "keep the stream");
		goto fail;
	}
	if (make_dirs(s->dir, 0700, err) < 0)
		goto fail;
	s->fd = open(s->dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (s->fd < 0) {
		error_set(err, errno, "open an unnamed file in %s", s->dir);
		goto fail;
	}
	*out = s;
	return 0;
fail:
	blob_spool_free(s);
	return -1;
}

int blob_spool_write(struct blob_spool *s, const void *buf, size_t len,
		     struct error **err)
{
	if (write_all(s->fd, buf, len) < 0)
		return error_set(err, errno, "keep the stream in %s", s->dir);
	s->written += len;
	return 0;
}

/* Give the unnamed file the name PATH (replacing it), through a side name. */
static int name_data(struct blob_spool *s, const char *path, struct error **err)
{
	char fdpath[64], *side = NULL;
	int ret = -1;

	snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", s->fd);
	if (asprintf(&side, "%s.kept", path) < 0)
		return error_set(err, ENOMEM, "name %s", path);
	/* a crash may have left the side name: it holds verified bytes too */
	if (unlink(side) < 0 && errno != ENOENT)
		error_set(err, errno, "remove %s", side);
	else if (linkat(AT_FDCWD, fdpath, AT_FDCWD, side, AT_SYMLINK_FOLLOW) < 0)
		error_set(err, errno, "link %s", side);
	else if (rename(side, path) < 0)
		error_set(err, errno, "rename %s to %s", side, path);
	else
		ret = 0;
	if (ret < 0)
		unlink(side);
	free(side);
	return ret;
}

int blob_spool_commit(struct blob_spool *s, const char *digest, uint64_t size,
		      uint32_t chunk_size, struct error **err)
{
	char *data = NULL, *map = NULL;
	uint64_t nchunks;
	uint8_t *ones = NULL;
	int ret = -1;

	if (!digest_valid(digest) || !chunk_size)
		return error_set(err, EINVAL, "keep the stream: digest %s", digest);
	if (s->written != size)
		return error_set(err, EIO, "keep the stream of %s: %" PRIu64 " bytes, the blob has %" PRIu64,
				 digest, s->written, size);
	nchunks = size / chunk_size + (size % chunk_size != 0);
	if (asprintf(&data, "%s/%s.data", s->dir, digest + 7) < 0)
		data = NULL;
	if (asprintf(&map, "%s/%s.map", s->dir, digest + 7) < 0)
		map = NULL;
	ones = malloc(nchunks ? nchunks : 1);
	if (!data || !map || !ones) {
		error_set(err, ENOMEM, "keep the stream of %s", digest);
		goto out;
	}
	memset(ones, 1, nchunks);
	/* the data first: a map byte must never point at bytes not there */
	if (name_data(s, data, err) < 0 ||
	    file_replace_bytes(map, 0600, 0, ones, nchunks, err) < 0)
		goto out;
	ret = 0;
out:
	free(ones);
	free(map);
	free(data);
	return ret;
}

void blob_spool_free(struct blob_spool *s)
{
	if (!s)
		return;
	if (s->fd >= 0)
		close(s->fd);
	free(s->dir);
	free(s);
}
