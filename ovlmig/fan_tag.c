// SPDX-License-Identifier: MIT
#include "fan_tag.h"

#include <endian.h>
#include <errno.h>
#include <sys/xattr.h>

/* 8 bytes, little-endian: small enough to stay inline in the inode */
static uint64_t encode(uint64_t key)
{
	return htole64(key);
}

int fan_tag_is(int fd, uint64_t key)
{
	uint64_t v;
	ssize_t n = fgetxattr(fd, FAN_TAG_XATTR, &v, sizeof(v));

	if (n < 0)
		return errno == ENODATA || errno == ERANGE || errno == EOPNOTSUPP ? 0 : -1;
	return n == sizeof(v) && v == encode(key);
}

int fan_tag_set(int fd, uint64_t key, struct error **err)
{
	uint64_t v = encode(key);
	int r = fan_tag_is(fd, key);

	if (r == 1)
		return 0;
	if (fsetxattr(fd, FAN_TAG_XATTR, &v, sizeof(v), 0) < 0)
		return error_set(err, errno, "set xattr %s", FAN_TAG_XATTR);
	return 1;
}

int fan_tag_clear(int fd, struct error **err)
{
	if (fremovexattr(fd, FAN_TAG_XATTR) < 0 && errno != ENODATA)
		return error_set(err, errno, "remove xattr %s", FAN_TAG_XATTR);
	return 0;
}
