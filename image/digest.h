/* SPDX-License-Identifier: MIT */
/*
 * Content digests: "sha256:<64 lowercase hex>", the only algorithm
 * accepted (OCI allows others; registries use this one).
 */
#ifndef IMAGE_DIGEST_H
#define IMAGE_DIGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/error.h"

#define DIGEST_PREFIX "sha256:"
#define DIGEST_STRLEN (7 + 64)		/* without the NUL */

/* S is exactly "sha256:" and 64 lowercase hex digits. */
bool digest_valid(const char *s);
/* Why S is not a valid digest (for messages), or NULL if it is. */
const char *digest_problem(const char *s);

int sha256_buf(const void *buf, size_t len, uint8_t md[32]);
/* sha256 of LEN bytes of FD from offset 0 (pread). */
int sha256_fd(int fd, uint64_t len, uint8_t md[32], struct error **err);
void sha256_hex(const uint8_t md[32], char hex[65]);

/* A sha256 fed piece by piece (bytes that arrive in order). */
struct sha256_stream;
/* NULL when out of memory. */
struct sha256_stream *sha256_stream_new(void);
void sha256_stream_free(struct sha256_stream *s);
/* Start over, as new. */
int sha256_stream_reset(struct sha256_stream *s);
int sha256_stream_update(struct sha256_stream *s, const void *buf, size_t len);
/* The digest of everything fed since the (re)start; then reset it before more. */
int sha256_stream_final(struct sha256_stream *s, uint8_t md[32]);
/* OUT: "sha256:<hex>" of BUF. */
int digest_of(const void *buf, size_t len, char out[DIGEST_STRLEN + 1]);
/* DIGEST names BUF (DIGEST already valid). */
bool digest_matches(const char *digest, const void *buf, size_t len);
/* The 32 bytes DIGEST encodes (DIGEST already valid). */
void digest_bytes(const char *digest, uint8_t md[32]);

#endif
