/* SPDX-License-Identifier: MIT */
/*
 * A keyed hash for tables whose keys come from untrusted input (names in
 * layers and indexes): SipHash-2-4 (libsodium's crypto_shorthash) under a
 * random key drawn once per process, so that nobody can prepare names
 * that all land in one bucket. Values differ from run to run: nothing
 * that must be reproducible (node ids, fingerprints, files) may depend
 * on them.
 */
#ifndef OVLMIG_KEYED_HASH_H
#define OVLMIG_KEYED_HASH_H

#include <stddef.h>
#include <stdint.h>

uint64_t keyed_hash(const void *data, size_t len);

#endif
