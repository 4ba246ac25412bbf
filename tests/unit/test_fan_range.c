// SPDX-License-Identifier: MIT
/*
 * Range fill (ovlmig/fan_range.h): which files are filled by ranges
 * (size, execute bits, library names, ELF magic, read from a dir source
 * in a temp dir), how far one read's fill goes, and the range record of
 * a fanotify event (as 6.14+ lays it out).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../ovlmig/fan_range.h"
#include "dir_image.h"

#define MiB (1ull << 20)

static int setup(void **state)
{
	struct dir_image *f = dir_image_new();

	dir_image_file(f, "data", "data", 64 * 1024, 0644);
	dir_image_file(f, "small", "data", 4096, 0644);
	dir_image_file(f, "tool", "data", 64 * 1024, 0755);
	dir_image_file(f, "elf", "\177ELF", 64 * 1024, 0644);
	dir_image_file(f, "libx.so", "data", 64 * 1024, 0644);
	dir_image_file(f, "libx.so.1.2", "data", 64 * 1024, 0644);
	dir_image_file(f, "x.sober", "data", 64 * 1024, 0644);
	dir_image_file(f, "gone", "data", 64 * 1024, 0644);
	dir_image_open(f);
	*state = f;
	return 0;
}

static uint32_t node_of(struct dir_image *f, const char *name)
{
	const struct image *img = image_tree(f->h);

	for (uint32_t i = 0; i < img->count; i++)
		if (img->nodes[i].name && !strcmp(img->nodes[i].name, name))
			return i;
	fail_msg("no node %s", name);
	return 0;
}

static bool ranges(struct dir_image *f, const char *name, uint64_t min)
{
	int r = fan_range_fill(f->h, node_of(f, name), name, min);

	assert_true(r == 0 || r == 1);
	return r == 1;
}

static void test_which_files(void **state)
{
	struct dir_image *f = *state;

	assert_true(ranges(f, "data", 8192));
	assert_true(ranges(f, "data", 64 * 1024));	/* at least MIN */
	assert_false(ranges(f, "data", 64 * 1024 + 1));
	assert_false(ranges(f, "data", 0));		/* the default: 16 MiB */
	assert_false(ranges(f, "small", 8192));
	assert_false(ranges(f, "tool", 8192));		/* an execute bit */
	assert_false(ranges(f, "elf", 8192));		/* ELF magic */
	assert_false(ranges(f, "libx.so", 8192));
	assert_false(ranges(f, "libx.so.1.2", 8192));
	assert_true(ranges(f, "x.sober", 8192));
	assert_int_equal(fan_range_fill(f->h, node_of(f, "data"), "lib/libdata.so", 8192), 0);
}

/* the first bytes cannot be read (the source lost the file): ask again later */
static void test_unreadable(void **state)
{
	struct dir_image *f = *state;
	char *path;

	assert_true(asprintf(&path, "%s/src/gone", f->dir) > 0);
	assert_int_equal(unlink(path), 0);
	free(path);
	assert_int_equal(fan_range_fill(f->h, node_of(f, "gone"), "gone", 8192), -1);
	/* too small or executable: known without reading */
	assert_int_equal(fan_range_fill(f->h, node_of(f, "gone"), "gone", 1 << 20), 0);
}

static void test_end(void **state)
{
	(void)state;
	/* rounded up to the grain, at most the size */
	assert_int_equal(fan_range_end(0, 4096, 512 * MiB), FAN_RANGE_GRAIN);
	assert_int_equal(fan_range_end(0, FAN_RANGE_GRAIN, 512 * MiB), FAN_RANGE_GRAIN);
	assert_int_equal(fan_range_end(8 * MiB, MiB, 512 * MiB), 10 * MiB);
	assert_int_equal(fan_range_end(511 * MiB, 4096, 512 * MiB - 10), 512 * MiB - 10);
	assert_int_equal(fan_range_end(100, UINT64_MAX, 3 * MiB), 3 * MiB);
	/* at or past the end: nothing */
	assert_int_equal(fan_range_end(3 * MiB, 4096, 3 * MiB), 0);
	assert_int_equal(fan_range_end(UINT64_MAX - 10, UINT64_MAX, 3 * MiB), 0);
}

/* an event as the kernel lays it out: metadata, then info records */
struct ev {
	struct fanotify_event_metadata m;
	struct fanotify_event_info_header h;
	uint32_t pad;
	uint64_t offset, count;
};

static void test_event_range(void **state)
{
	struct ev e = { .m = { .event_len = sizeof(e), .metadata_len = sizeof(e.m) },
			.h = { .info_type = 6, .len = 24 }, .offset = 999424, .count = 4096 };
	uint64_t off = 0, count = 0;

	(void)state;
	assert_true(fan_event_range(&e.m, &off, &count));
	assert_int_equal(off, 999424);
	assert_int_equal(count, 4096);
	/* no record, another record, a record whose length lies */
	e.m.event_len = sizeof(e.m);
	assert_false(fan_event_range(&e.m, &off, &count));
	e.m.event_len = sizeof(e);
	e.h.info_type = 1;
	assert_false(fan_event_range(&e.m, &off, &count));
	e.h.info_type = 6;
	e.h.len = 200;
	assert_false(fan_event_range(&e.m, &off, &count));
	e.h.len = 0;
	assert_false(fan_event_range(&e.m, &off, &count));
	e.h.len = 8;	/* too short for a range */
	assert_false(fan_event_range(&e.m, &off, &count));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_which_files, setup, dir_image_teardown),
		cmocka_unit_test_setup_teardown(test_unreadable, setup, dir_image_teardown),
		cmocka_unit_test(test_end),
		cmocka_unit_test(test_event_range),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
