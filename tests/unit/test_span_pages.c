// SPDX-License-Identifier: MIT
/*
 * A companion's span digests fetched a page at a time (image/span_pages.h),
 * from a local file: the pages a range of spans needs are filled, the
 * others stay zeros; a page that does not match its sha256 fails (EIO)
 * and fills nothing; bad page lists and ranges are refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../image/digest.h"
#include "../../image/fetch.h"
#include "../../image/referrers.h"
#include "../../image/span_pages.h"

#define NSPANS 300		/* 3 pages: 128, 128, 44 */

static uint8_t spans[NSPANS][32];
static char path[64], pages[3 * 64 + 1];
static struct fetcher *f;

static void write_file(const void *buf, size_t len)
{
	FILE *o = fopen(path, "w");

	assert_non_null(o);
	assert_int_equal(fwrite(buf, 1, len, o), len);
	fclose(o);
}

static int setup(void **state)
{
	struct fetch_opts fo = { .retries = 1 };
	struct error *err = NULL;
	uint8_t md[32];
	int fd;

	(void)state;
	for (int i = 0; i < NSPANS; i++)
		for (int k = 0; k < 32; k++)
			spans[i][k] = (uint8_t)(i * 7 + k + 1);
	for (int p = 0; p < 3; p++) {
		size_t n = p < 2 ? COMPANION_SPAN_PAGE : NSPANS - 2 * COMPANION_SPAN_PAGE;

		assert_int_equal(sha256_buf(spans[p * COMPANION_SPAN_PAGE], n * 32, md), 0);
		sha256_hex(md, pages + p * 64);
	}
	strcpy(path, "/tmp/test_span_pages.XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	write_file(spans, sizeof(spans));
	assert_int_equal(fetcher_new(&fo, &f, &err), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(path);
	fetcher_free(f);
	return 0;
}

static const uint8_t zero[32];

static void fills_what_is_asked(void **state)
{
	uint8_t (*got)[32] = calloc(NSPANS, 32);
	struct span_pages *p = NULL;
	struct error *err = NULL;

	(void)state;
	assert_int_equal(span_pages_new(path, pages, NSPANS, &p, &err), 0);
	/* spans 130..140: page 1 alone */
	assert_int_equal(span_pages_ensure(p, f, got, 130, 140, &err), 0);
	assert_memory_equal(got[128], spans[128], 128 * 32);
	assert_memory_equal(got[0], zero, 32);
	assert_memory_equal(got[299], zero, 32);
	/* 0..299: the other two, the last one short */
	assert_int_equal(span_pages_ensure(p, f, got, 0, 299, &err), 0);
	assert_memory_equal(got, spans, sizeof(spans));
	/* past the end */
	assert_int_equal(span_pages_ensure(p, f, got, 10, 300, &err), -1);
	assert_int_equal(err->errnum, ERANGE);
	error_free(&err);
	span_pages_free(p);
	free(got);
}

static void bad_page_fails(void **state)
{
	uint8_t (*got)[32] = calloc(NSPANS, 32);
	uint8_t bad[NSPANS][32];
	struct span_pages *p = NULL;
	struct error *err = NULL;

	(void)state;
	memcpy(bad, spans, sizeof(bad));
	bad[260][3] ^= 1;
	write_file(bad, sizeof(bad));
	assert_int_equal(span_pages_new(path, pages, NSPANS, &p, &err), 0);
	assert_int_equal(span_pages_ensure(p, f, got, 250, 299, &err), -1);
	assert_int_equal(err->errnum, EIO);
	assert_non_null(strstr(err->msg, "page 2 does not match"));
	error_free(&err);
	assert_memory_equal(got[260], zero, 32);
	/* the good pages still come */
	assert_int_equal(span_pages_ensure(p, f, got, 0, 5, &err), 0);
	assert_memory_equal(got[5], spans[5], 32);
	span_pages_free(p);
	free(got);
	write_file(spans, sizeof(spans));
}

static void bad_lists(void **state)
{
	struct span_pages *p = NULL;
	struct error *err = NULL;
	char upper[sizeof(pages)];

	(void)state;
	/* two pages' digests for three pages of spans */
	assert_int_equal(span_pages_new(path, pages + 64, NSPANS, &p, &err), -1);
	assert_null(p);
	error_free(&err);
	memcpy(upper, pages, sizeof(upper));
	upper[10] = 'G';
	assert_int_equal(span_pages_new(path, upper, NSPANS, &p, &err), -1);
	assert_null(p);
	error_free(&err);
	assert_int_equal(span_pages_new(path, "", 0, &p, &err), -1);
	error_free(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fills_what_is_asked),
		cmocka_unit_test(bad_page_fails),
		cmocka_unit_test(bad_lists),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
