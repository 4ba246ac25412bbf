// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness: the input bytes as a layer (plain, gzip or zstd
 * tar) given to layer_index_build in uneven pieces. When it is indexed,
 * every regular file (its head and tail if large) is read back through an
 * in-memory reader and must come out with exactly the bytes asked for,
 * and the index must survive an encode and decode.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../image/layer_index.h"

struct mem {
	const uint8_t *p;
	size_t len, pos;
};

static ssize_t next(void *ctx, void *buf, size_t len, struct error **err)
{
	struct mem *m = ctx;
	/* uneven pieces: boundaries fall everywhere */
	size_t n = 1 + (m->pos * 7919 + 13) % 4099;

	(void)err;
	if (n > m->len - m->pos)
		n = m->len - m->pos;
	if (n > len)
		n = len;
	memcpy(buf, m->p + m->pos, n);
	m->pos += n;
	return (ssize_t)n;
}

static int read_at(void *ctx, uint64_t off, void *buf, size_t len,
		   struct error **err)
{
	struct mem *m = ctx;

	if (off > m->len || len > m->len - off)
		return error_set(err, 0, "read past the end");
	memcpy(buf, m->p + off, len);
	return 0;
}

static int sink(void *ctx, const void *buf, size_t len, struct error **err)
{
	uint64_t *got = ctx;

	(void)buf;
	(void)err;
	*got += len;
	return 0;
}

#define HEAD 65536

static void read_range(const struct layer_index *idx, struct mem *m,
		       uint64_t off, uint64_t len)
{
	struct error *err = NULL;
	uint64_t got = 0;

	if (layer_read(idx, read_at, m, off, len, sink, &got, &err) < 0) {
		fprintf(stderr, "read %" PRIu64 "+%" PRIu64 ": %s\n", off, len,
			err->msg);
		abort();
	}
	if (got != len)
		abort();
}

static void encode_decode(const struct layer_index *idx)
{
	struct layer_index back;
	struct error *err = NULL;
	struct stat st;
	uint8_t *buf;
	int fd = memfd_create("index", 0);

	if (fd < 0)
		return;
	if (layer_index_encode(idx, fd, &err) < 0 || fstat(fd, &st) < 0)
		abort();
	buf = malloc((size_t)st.st_size);
	if (!buf || pread(fd, buf, (size_t)st.st_size, 0) != st.st_size)
		abort();
	if (layer_index_decode(buf, (size_t)st.st_size, &back, &err) < 0) {
		fprintf(stderr, "decode of an encoded index: %s\n", err->msg);
		abort();
	}
	if (back.nentries != idx->nentries || back.ncheckpoints != idx->ncheckpoints)
		abort();
	layer_index_free(&back);
	free(buf);
	close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mem m = { data, size, 0 };
	struct layer_index idx;
	struct error *err = NULL;
	uint32_t i;

	if (layer_index_build(next, &m, 4096, &idx, &err) < 0) {
		if (!err || !err->msg)
			abort();
		error_free(&err);
		return 0;
	}
	if (idx.compressed_size != size)
		abort();
	for (i = 0; i < idx.nentries; i++) {
		const struct layer_entry *e = &idx.entries[i];

		if (!S_ISREG(e->mode) || e->kind != LAYER_ENTRY_NORMAL)
			continue;
		/* big files: their head and tail are enough, and faster */
		if (e->size <= 2 * HEAD) {
			read_range(&idx, &m, e->data_off, e->size);
		} else {
			read_range(&idx, &m, e->data_off, HEAD);
			read_range(&idx, &m, e->data_off + e->size - HEAD, HEAD);
		}
	}
	encode_decode(&idx);
	layer_index_free(&idx);
	return 0;
}
