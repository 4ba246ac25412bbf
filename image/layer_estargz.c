// SPDX-License-Identifier: MIT
/*
 * An eStargz layer's footer and TOC as a layer index (layer_estargz.h).
 * zlib reads the footer's gzip header (its extra field holds the TOC's
 * offset), libarchive the TOC's gzip'd tar; layer_toc.c turns the JSON
 * into the index, as for zstd:chunked.
 */
#include "layer_estargz.h"
#include "layer_index.h"
#include "layer_toc.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "digest.h"

#define EFAIL(...) error_set(err, EINVAL, "estargz: " __VA_ARGS__)

/* The extra field: subfield "SG" of 22 bytes, "%016xSTARGZ". */
#define SG_LEN 22
#define SG_MAGIC "STARGZ"

static int hex_u64(const uint8_t *p, size_t n, uint64_t *out)
{
	uint64_t v = 0;

	for (size_t i = 0; i < n; i++) {
		int d;

		if (p[i] >= '0' && p[i] <= '9')
			d = p[i] - '0';
		else if (p[i] >= 'a' && p[i] <= 'f')
			d = p[i] - 'a' + 10;
		else
			return -1;
		v = v << 4 | (uint64_t)d;
	}
	*out = v;
	return 0;
}

int layer_estargz_footer(const void *footer, size_t len, uint64_t layer_size,
			 uint64_t *toc_off, struct error **err)
{
	uint8_t extra[64], out[16];
	gz_header h = { .extra = extra, .extra_max = sizeof(extra) };
	z_stream z = { 0 };
	uint64_t end;
	int ret;

	if (len != ESTARGZ_FOOTER_SIZE || layer_size < ESTARGZ_FOOTER_SIZE)
		return EFAIL("footer of %zu bytes in a layer of %" PRIu64 ", not %u",
			     len, layer_size, ESTARGZ_FOOTER_SIZE);
	if (inflateInit2(&z, 15 + 16) != Z_OK)
		return error_set(err, ENOMEM, "estargz: inflateInit");
	/* the whole footer must be one empty gzip member */
	z.next_in = (uint8_t *)footer;
	z.avail_in = (uInt)len;
	z.next_out = out;
	z.avail_out = sizeof(out);
	ret = inflateGetHeader(&z, &h) == Z_OK ? inflate(&z, Z_FINISH) : Z_ERRNO;
	inflateEnd(&z);
	if (ret != Z_STREAM_END || z.avail_in || z.avail_out != sizeof(out))
		return EFAIL("the layer's last %u bytes are not an empty gzip member",
			     ESTARGZ_FOOTER_SIZE);
	if (h.extra_len != 4 + SG_LEN || extra[0] != 'S' || extra[1] != 'G' ||
	    extra[2] != SG_LEN || extra[3] != 0 ||
	    memcmp(extra + 4 + 16, SG_MAGIC, strlen(SG_MAGIC)) ||
	    hex_u64(extra + 4, 16, toc_off) < 0)
		return EFAIL("footer without a STARGZ extra field");
	end = layer_size - ESTARGZ_FOOTER_SIZE;
	if (*toc_off >= end || end - *toc_off > LAYER_TOC_MAX)
		return EFAIL("TOC at %" PRIu64 " in a layer of %" PRIu64
			     " bytes: not within the layer or larger than %u",
			     *toc_off, layer_size, LAYER_TOC_MAX);
	return 0;
}

/* The JSON of the TOC's only tar entry, malloc'd. */
static int toc_json(const void *toc, size_t len, char **json, size_t *jlen,
		    struct error **err)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	la_int64_t size;
	la_ssize_t n;
	size_t got = 0;
	int ret = -1;

	*json = NULL;
	if (!a)
		return error_set(err, ENOMEM, "estargz: archive");
	if (archive_read_support_filter_gzip(a) != ARCHIVE_OK ||
	    archive_read_support_format_tar(a) != ARCHIVE_OK ||
	    archive_read_open_memory(a, toc, len) != ARCHIVE_OK ||
	    archive_read_next_header(a, &e) != ARCHIVE_OK) {
		EFAIL("TOC member is not a gzip'd tar: %s", archive_error_string(a) ?
		      archive_error_string(a) : "?");
		goto out;
	}
	size = archive_entry_size(e);
	if (strcmp(archive_entry_pathname(e) ? archive_entry_pathname(e) : "",
		   ESTARGZ_TOC_NAME) || archive_entry_filetype(e) != AE_IFREG ||
	    !archive_entry_size_is_set(e) || size < 0 || size > LAYER_TOC_MAX) {
		EFAIL("TOC member holds \"%.100s\" of %lld bytes, not %s of at most %u",
		      archive_entry_pathname(e) ? archive_entry_pathname(e) : "",
		      (long long)size, ESTARGZ_TOC_NAME, LAYER_TOC_MAX);
		goto out;
	}
	*json = malloc(size ? (size_t)size : 1);
	if (!*json) {
		error_set(err, ENOMEM, "estargz: TOC of %lld bytes", (long long)size);
		goto out;
	}
	while (got < (size_t)size &&
	       (n = archive_read_data(a, *json + got, (size_t)size - got)) > 0)
		got += (size_t)n;
	if (got != (size_t)size) {
		EFAIL("TOC cut short: %zu of %lld bytes: %s", got, (long long)size,
		      archive_error_string(a) ? archive_error_string(a) : "?");
		goto out;
	}
	*jlen = got;
	ret = 0;
out:
	archive_read_free(a);
	if (ret < 0) {
		free(*json);
		*json = NULL;
	}
	return ret;
}

int layer_estargz_index(const void *toc, size_t len, uint64_t toc_off,
			const char *toc_digest, const char *digest,
			uint64_t layer_size, struct layer_index *out,
			struct error **err)
{
	char *json;
	size_t jlen = 0;
	int ret;

	memset(out, 0, sizeof(*out));
	if (!toc_digest || !digest_valid(toc_digest) || strncmp(toc_digest, "sha256:", 7))
		return EFAIL("TOC digest annotation is not a sha256 digest");
	if (toc_off > layer_size || layer_size - toc_off < ESTARGZ_FOOTER_SIZE ||
	    len != layer_size - toc_off - ESTARGZ_FOOTER_SIZE)
		return EFAIL("a TOC of %zu bytes at %" PRIu64 " does not end at the footer",
			     len, toc_off);
	if (toc_json(toc, len, &json, &jlen, err) < 0)
		return -1;
	if (!digest_matches(toc_digest, json, jlen)) {
		free(json);
		return EFAIL("TOC digest mismatch: its JSON is not %s", toc_digest);
	}
	ret = layer_toc_parse_format(LAYER_TOC_ESTARGZ, json, jlen, toc_off,
				     digest, layer_size, out, err);
	free(json);
	return ret < 0 ? error_wrap(err, "estargz") : 0;
}
