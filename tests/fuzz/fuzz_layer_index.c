// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness: decoding a layer index file. Any input either fails
 * with a message or gives an index that frees cleanly. The trailing
 * sha256 would stop almost every mutation at the first check, so when it
 * does not match the harness fixes it up (on a copy) and decodes again:
 * the parser behind the checksum gets fuzzed too. Each input is also
 * decoded as a version 2 head alone.
 */
#include <openssl/evp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../image/layer_index.h"

/* HEAD: the input as a version 2 head alone (its windows not here). */
static void decode_as(const uint8_t *data, size_t size, bool head)
{
	struct layer_index idx;
	struct error *err = NULL;
	int r = head ? layer_index_decode_head(data, size, &idx, &err) :
		       layer_index_decode(data, size, &idx, &err);

	if (r < 0) {
		if (!err || !err->msg)
			abort();
		error_free(&err);
		return;
	}
	if (err || !idx.ncheckpoints ||
	    (idx.version != LAYER_INDEX_VERSION && idx.version != LAYER_INDEX_VERSION_SPLIT) ||
	    (head && idx.version != LAYER_INDEX_VERSION_SPLIT))
		abort();
	layer_index_free(&idx);
}

static void decode(const uint8_t *data, size_t size)
{
	decode_as(data, size, false);
	decode_as(data, size, true);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned int n;
	uint8_t *copy;

	decode(data, size);
	if (size < 32)
		return 0;
	copy = malloc(size);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	if (EVP_Digest(copy, size - 32, copy + size - 32, &n, EVP_sha256(), NULL))
		decode(copy, size);
	free(copy);
	return 0;
}
