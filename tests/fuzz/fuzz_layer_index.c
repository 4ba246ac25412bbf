// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness: decoding a layer index file. Any input either fails
 * with a message or gives an index that frees cleanly. The trailing
 * sha256 would stop almost every mutation at the first check, so when it
 * does not match the harness fixes it up (on a copy) and decodes again:
 * the parser behind the checksum gets fuzzed too.
 */
#include <openssl/evp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../image/layer_index.h"

static void decode(const uint8_t *data, size_t size)
{
	struct layer_index idx;
	struct error *err = NULL;

	if (layer_index_decode(data, size, &idx, &err) < 0) {
		if (!err || !err->msg)
			abort();
		error_free(&err);
		return;
	}
	if (err || idx.version != LAYER_INDEX_VERSION || !idx.ncheckpoints)
		abort();
	layer_index_free(&idx);
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
