// SPDX-License-Identifier: MIT
/*
 * A version 2 index head as one gzip member (image/index_gzip.c): what
 * index_gzip writes, gunzip (and gzip -d) read back byte for byte; what
 * index_gunzip refuses from a hostile registry: more than its bound,
 * a cut member, a wrong CRC, bytes after the member, not gzip.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "../../image/index_gzip.h"

/* like an entries table: runs of zeros and paths, some noise */
static uint8_t *sample(size_t n)
{
	uint8_t *p = malloc(n);
	uint32_t x = 12345;

	assert_non_null(p);
	for (size_t i = 0; i < n; i++) {
		x = x * 1103515245u + 12345u;
		p[i] = i % 112 < 80 ? 0 : (uint8_t)('a' + (x >> 16) % 8);
	}
	return p;
}

static void test_round_trip(void **state)
{
	size_t n = 700000, zlen, olen;
	uint8_t *in = sample(n), *z, *out, *ref = malloc(n);
	uLongf rlen = n;
	struct error *err = NULL;
	z_stream zs = { 0 };

	(void)state;
	assert_int_equal(index_gzip(in, n, &z, &zlen, &err), 0);
	assert_true(zlen < n / 3);
	/* a gzip member: magic, deflate */
	assert_int_equal(z[0], 0x1f);
	assert_int_equal(z[1], 0x8b);
	assert_int_equal(z[2], 8);
	/* zlib's own reader agrees (independent of index_gunzip) */
	assert_int_equal(inflateInit2(&zs, 15 + 16), Z_OK);
	zs.next_in = z;
	zs.avail_in = (uInt)zlen;
	zs.next_out = ref;
	zs.avail_out = (uInt)rlen;
	assert_int_equal(inflate(&zs, Z_FINISH), Z_STREAM_END);
	assert_int_equal(zs.total_out, n);
	inflateEnd(&zs);
	assert_memory_equal(ref, in, n);
	assert_int_equal(index_gunzip(z, zlen, n, &out, &olen, &err), 0);
	assert_int_equal(olen, n);
	assert_memory_equal(out, in, n);
	free(out);
	/* empty in, empty out */
	free(z);
	assert_int_equal(index_gzip(in, 0, &z, &zlen, &err), 0);
	assert_int_equal(index_gunzip(z, zlen, 16, &out, &olen, &err), 0);
	assert_int_equal(olen, 0);
	free(out);
	free(z);
	free(ref);
	free(in);
}

static void expect_refused(const uint8_t *z, size_t zlen, size_t max, const char *why)
{
	struct error *err = NULL;
	uint8_t *out = (uint8_t *)"x";
	size_t olen = 0;

	assert_int_equal(index_gunzip(z, zlen, max, &out, &olen, &err), -1);
	assert_null(out);
	assert_non_null(err);
	if (!strstr(err->msg, why))
		fail_msg("'%s' does not say '%s'", err->msg, why);
	error_free(&err);
}

static void test_hostile(void **state)
{
	size_t n = 300000, zlen;
	uint8_t *in = sample(n), *z, *bad;
	struct error *err = NULL;

	(void)state;
	assert_int_equal(index_gzip(in, n, &z, &zlen, &err), 0);
	/* a bound below the real size: refused, not allocated past it */
	expect_refused(z, zlen, n - 1, "more than");
	expect_refused(z, zlen, 1000, "more than");
	/* cut short, in the data or in the trailer */
	expect_refused(z, zlen / 2, n, "ends early");
	expect_refused(z, zlen - 3, n, "ends early");
	bad = malloc(zlen + 4);
	assert_non_null(bad);
	/* a wrong CRC-32 in the trailer */
	memcpy(bad, z, zlen);
	bad[zlen - 8] ^= 1;
	expect_refused(bad, zlen, n, "gzip'd index head");
	/* bytes after the member (a second member too) */
	memcpy(bad, z, zlen);
	memcpy(bad + zlen, "junk", 4);
	expect_refused(bad, zlen + 4, n, "after its gzip member");
	/* not gzip */
	memset(bad, 'A', 64);
	expect_refused(bad, 64, n, "gzip'd index head");
	expect_refused(bad, 0, n, "ends early");
	free(bad);
	free(z);
	free(in);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_hostile),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
