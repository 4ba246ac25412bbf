// SPDX-License-Identifier: MIT
/*
 * index_gzip: a version 2 index head deflated for the registry, and
 * inflated again, bounded, when a mount fetches it.
 */
#include "index_gzip.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define GROW (256u << 10)

int index_gzip(const uint8_t *in, size_t len, uint8_t **out, size_t *out_len,
	       struct error **err)
{
	z_stream z = { 0 };
	uLong bound;
	uint8_t *buf;
	int ret;

	*out = NULL;
	if (len > UINT_MAX)
		return error_set(err, EFBIG, "index head: %zu bytes to deflate, at most %u",
				 len, UINT_MAX);
	/* windowBits 15 + 16: a gzip member; level 9: pushed once, fetched by every mount */
	if (deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return error_set(err, ENOMEM, "index head: deflateInit");
	bound = deflateBound(&z, (uLong)len);
	buf = bound <= UINT_MAX ? malloc(bound) : NULL;
	if (!buf) {
		deflateEnd(&z);
		return error_set(err, ENOMEM, "index head: %lu bytes to deflate into", bound);
	}
	z.next_in = (Bytef *)in;
	z.avail_in = (uInt)len;
	z.next_out = buf;
	z.avail_out = (uInt)bound;
	ret = deflate(&z, Z_FINISH);
	*out_len = bound - z.avail_out;
	deflateEnd(&z);
	if (ret != Z_STREAM_END) {
		free(buf);
		return error_set(err, EIO, "index head: deflate failed (%d)", ret);
	}
	*out = buf;
	return 0;
}

int index_gunzip(const uint8_t *in, size_t len, size_t max, uint8_t **out,
		 size_t *out_len, struct error **err)
{
	z_stream z = { 0 };
	uint8_t *buf = NULL, *grown;
	size_t cap = 0, have = 0;
	int ret = Z_OK;

	*out = NULL;
	if (len > UINT_MAX)
		return error_set(err, EFBIG, "gzip'd index head of %zu bytes", len);
	if (inflateInit2(&z, 15 + 16) != Z_OK)
		return error_set(err, ENOMEM, "index head: inflateInit");
	z.next_in = (Bytef *)in;
	z.avail_in = (uInt)len;
	/* room for one byte past MAX: a member of exactly MAX bytes still ends */
	if (max == SIZE_MAX)
		max--;
	while (ret != Z_STREAM_END) {
		if (have > max) {
			ret = error_set_msg(err, EFBIG, "gzip'd index head inflates to more than %zu bytes", max);
			goto fail;
		}
		if (have == cap) {
			size_t want = cap + GROW;

			if (want > max + 1)
				want = max + 1;
			grown = realloc(buf, want);
			if (!grown) {
				ret = error_set(err, ENOMEM, "index head: %zu bytes", want);
				goto fail;
			}
			buf = grown;
			cap = want;
		}
		z.next_out = buf + have;
		z.avail_out = (uInt)(cap - have);
		ret = inflate(&z, Z_NO_FLUSH);
		have = cap - z.avail_out;
		if (ret == Z_BUF_ERROR && z.avail_out) {
			ret = error_set_msg(err, EINVAL, "gzip'd index head: data ends early");
			goto fail;
		}
		if (ret != Z_OK && ret != Z_STREAM_END && ret != Z_BUF_ERROR) {
			ret = error_set_msg(err, EINVAL, "gzip'd index head: %s",
					    z.msg ? z.msg : "corrupt data");
			goto fail;
		}
	}
	if (have > max) {
		ret = error_set_msg(err, EFBIG, "gzip'd index head inflates to more than %zu bytes", max);
		goto fail;
	}
	if (z.avail_in) {
		ret = error_set_msg(err, EINVAL, "gzip'd index head: %u bytes after its gzip member",
				    z.avail_in);
		goto fail;
	}
	inflateEnd(&z);
	*out = have ? buf : realloc(buf, 1);
	if (!*out) {
		free(buf);
		return error_set(err, ENOMEM, "index head");
	}
	*out_len = have;
	return 0;
fail:
	inflateEnd(&z);
	free(buf);
	return -1;
}
