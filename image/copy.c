// SPDX-License-Identifier: MIT
#include "copy.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "../common/util.h"

#define COPY_CHUNK (1u << 20)

static int copy_range(int src, int dst, uint64_t off, uint64_t end, char *buf,
		      struct link_emulation *link, struct error **err)
{
	while (off < end) {
		size_t want = end - off < COPY_CHUNK ? (size_t)(end - off) : COPY_CHUNK;
		ssize_t n = pread(src, buf, want, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return error_set(err, errno, "read at %llu",
					 (unsigned long long)off);
		if (n == 0)
			return error_set(err, EIO, "source ends at %llu, expected %llu",
					 (unsigned long long)off,
					 (unsigned long long)end);
		if (link)
			link_transfer(link, (uint64_t)n);
		for (ssize_t w = 0; w < n;) {
			ssize_t m = pwrite(dst, buf + w, (size_t)(n - w),
					   (off_t)off + w);

			if (m < 0 && errno == EINTR)
				continue;
			if (m < 0)
				return error_set(err, errno, "write at %llu",
						 (unsigned long long)off + (uint64_t)w);
			w += m;
		}
		off += (uint64_t)n;
	}
	return 0;
}

int copy_sparse(int src, int dst, uint64_t size, struct link_emulation *link,
		struct error **err)
{
	uint64_t off = 0;
	char *buf;
	int ret = 0;

	if (size > INT64_MAX)
		return error_set(err, EFBIG, "file size %llu",
				 (unsigned long long)size);
	buf = malloc(COPY_CHUNK);
	if (!buf)
		return error_set(err, ENOMEM, "copy buffer");
	while (off < size && ret == 0) {
		off_t data = lseek(src, (off_t)off, SEEK_DATA);
		off_t hole;

		if (data < 0 && errno == ENXIO)
			break;			/* only a hole up to EOF */
		if (data < 0) {			/* no SEEK_DATA: copy all */
			ret = copy_range(src, dst, off, size, buf, link, err);
			break;
		}
		if ((uint64_t)data >= size)
			break;
		hole = lseek(src, data, SEEK_HOLE);
		if (hole < 0 || (uint64_t)hole > size)
			hole = (off_t)size;
		ret = copy_range(src, dst, (uint64_t)data, (uint64_t)hole, buf,
				 link, err);
		off = (uint64_t)hole;
	}
	free(buf);
	if (ret == 0 && ftruncate(dst, (off_t)size) < 0)
		ret = error_set(err, errno, "truncate to %llu",
				(unsigned long long)size);
	return ret;
}
