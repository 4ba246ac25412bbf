// SPDX-License-Identifier: MIT
#include "digest.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#define HASH_PIECE (1u << 20)

static bool is_lower_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

const char *digest_problem(const char *s)
{
	const char *colon;

	if (!s)
		return "missing";
	colon = strchr(s, ':');
	if (!colon)
		return "not ALGORITHM:HEX";
	if ((size_t)(colon - s) != 6 || strncmp(s, "sha256", 6))
		return "unsupported algorithm (only sha256)";
	if (strlen(colon + 1) != 64)
		return "sha256 needs 64 hex digits";
	for (const char *p = colon + 1; *p; p++)
		if (!is_lower_hex(*p))
			return "not lowercase hex";
	return NULL;
}

bool digest_valid(const char *s)
{
	return !digest_problem(s);
}

int sha256_buf(const void *buf, size_t len, uint8_t md[32])
{
	unsigned int n = 0;

	if (!EVP_Digest(buf, len, md, &n, EVP_sha256(), NULL) || n != 32) {
		errno = EIO;
		return -1;
	}
	return 0;
}

int sha256_fd(int fd, uint64_t len, uint8_t md[32], struct error **err)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char *buf = malloc(HASH_PIECE);
	uint64_t off = 0;
	unsigned int n = 0;
	int ret = -1;

	if (!ctx || !buf) {
		error_set(err, ENOMEM, "sha256");
		goto out;
	}
	if (!EVP_DigestInit_ex(ctx, EVP_sha256(), NULL)) {
		error_set(err, EIO, "sha256: init");
		goto out;
	}
	while (off < len) {
		size_t want = len - off < HASH_PIECE ? (size_t)(len - off) : HASH_PIECE;
		ssize_t got = pread(fd, buf, want, (off_t)off);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			error_set(err, errno, "read at %llu", (unsigned long long)off);
			goto out;
		}
		if (got == 0) {
			error_set(err, 0, "file ends at %llu, expected %llu bytes",
				  (unsigned long long)off, (unsigned long long)len);
			goto out;
		}
		if (!EVP_DigestUpdate(ctx, buf, (size_t)got)) {
			error_set(err, EIO, "sha256: update");
			goto out;
		}
		off += (uint64_t)got;
	}
	if (!EVP_DigestFinal_ex(ctx, md, &n) || n != 32) {
		error_set(err, EIO, "sha256: final");
		goto out;
	}
	ret = 0;
out:
	EVP_MD_CTX_free(ctx);
	free(buf);
	return ret;
}

struct sha256_stream {
	EVP_MD_CTX *ctx;
};

struct sha256_stream *sha256_stream_new(void)
{
	struct sha256_stream *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->ctx = EVP_MD_CTX_new();
	if (!s->ctx || sha256_stream_reset(s) < 0) {
		sha256_stream_free(s);
		return NULL;
	}
	return s;
}

void sha256_stream_free(struct sha256_stream *s)
{
	if (!s)
		return;
	EVP_MD_CTX_free(s->ctx);
	free(s);
}

int sha256_stream_reset(struct sha256_stream *s)
{
	if (!EVP_DigestInit_ex(s->ctx, EVP_sha256(), NULL)) {
		errno = EIO;
		return -1;
	}
	return 0;
}

int sha256_stream_update(struct sha256_stream *s, const void *buf, size_t len)
{
	if (!EVP_DigestUpdate(s->ctx, buf, len)) {
		errno = EIO;
		return -1;
	}
	return 0;
}

int sha256_stream_final(struct sha256_stream *s, uint8_t md[32])
{
	unsigned int n = 0;

	if (!EVP_DigestFinal_ex(s->ctx, md, &n) || n != 32) {
		errno = EIO;
		return -1;
	}
	return 0;
}

void sha256_hex(const uint8_t md[32], char hex[65])
{
	static const char digits[] = "0123456789abcdef";

	for (int i = 0; i < 32; i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 15];
	}
	hex[64] = '\0';
}

int digest_of(const void *buf, size_t len, char out[DIGEST_STRLEN + 1])
{
	uint8_t md[32];

	if (sha256_buf(buf, len, md) < 0)
		return -1;
	memcpy(out, DIGEST_PREFIX, 7);
	sha256_hex(md, out + 7);
	return 0;
}

bool digest_matches(const char *digest, const void *buf, size_t len)
{
	char have[DIGEST_STRLEN + 1];

	if (digest_of(buf, len, have) < 0)
		return false;
	return !strcmp(have, digest);
}

static int hex_val(char c)
{
	return c <= '9' ? c - '0' : c - 'a' + 10;
}

void digest_bytes(const char *digest, uint8_t md[32])
{
	const char *h = digest + 7;

	for (int i = 0; i < 32; i++)
		md[i] = (uint8_t)(hex_val(h[2 * i]) << 4 | hex_val(h[2 * i + 1]));
}
