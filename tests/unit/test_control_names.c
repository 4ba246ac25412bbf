// SPDX-License-Identifier: MIT
/*
 * The control replies of a server whose image and mountpoint have names
 * that are not UTF-8 (no mount: the image, node counters and requests
 * made by hand). `live` lists every live node, such names with their
 * bytes in base64 (expected encodings written out by hand); `stats`
 * still answers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../lowerfs/control_server.h"

static struct lowerfs fs;
static uint32_t n_bad, n_dbad, n_ok, d;

static int setup(void **state)
{
	struct image_attr dir = { .mode = S_IFDIR | 0755 };
	struct image_attr file = { .mode = S_IFREG | 0644, .size = 3 };
	struct error *err = NULL;

	(void)state;
	fs.devfd = -1;
	fs.tree.state = TREE_READY;	/* loaded: commands do not wait */
	fs.wake_fd = eventfd(0, EFD_NONBLOCK);
	fs.opts.source_spec = "dir:/src\xff";
	fs.opts.mountpoint = "/mnt\xff";
	image_init(&fs.img);
	if (image_add_root(&fs.img, &dir, &err) < 0 ||
	    image_add(&fs.img, 0, "\xff\xfe", &file, &n_bad, &err) < 0 ||
	    image_add(&fs.img, 0, "d", &dir, &d, &err) < 0 ||
	    image_add(&fs.img, d, "\xff\xfe", &file, &n_dbad, &err) < 0 ||
	    image_add(&fs.img, 0, "ok", &file, &n_ok, &err) < 0 ||
	    image_link(&fs.img, 0, "\xfe", n_ok, &err) < 0 ||
	    image_finalize(&fs.img, &err) < 0 || nodes_init(&fs, &err) < 0)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free(fs.nodes);
	image_free(&fs.img);
	close(fs.wake_fd);
	return 0;
}

/* The entry of LIVE whose path (or path_b64) is WANT, with its other key absent or printable. */
static json_t *find(json_t *live, const char *key, const char *want)
{
	size_t i;
	json_t *e;

	json_array_foreach(live, i, e)
		if (json_is_string(json_object_get(e, key)) &&
		    !strcmp(json_string_value(json_object_get(e, key)), want))
			return e;
	return NULL;
}

static void test_live_lists_every_name(void **state)
{
	json_t *reply, *live, *e;
	char *text;

	(void)state;
	atomic_store(&fs.nodes[n_bad].lookups, 1);
	atomic_store(&fs.nodes[n_bad].opens, 1);
	atomic_store(&fs.nodes[d].lookups, 1);
	atomic_store(&fs.nodes[n_dbad].lookups, 2);
	atomic_store(&fs.nodes[n_ok].lookups, 1);
	reply = control_handle(&fs, "live\n", 5);
	assert_non_null(reply);
	assert_null(json_object_get(reply, "error"));
	/* the reply goes out as text: it must dump */
	text = json_dumps(reply, JSON_COMPACT);
	assert_non_null(text);
	free(text);
	live = json_object_get(reply, "live");
	assert_int_equal(json_array_size(live), 4);

	e = find(live, "path_b64", "L//+");		/* "/\xff\xfe" */
	assert_non_null(e);
	assert_string_equal(json_string_value(json_object_get(e, "path")), "/\\xff\\xfe");
	assert_int_equal(json_integer_value(json_object_get(e, "opens")), 1);
	e = find(live, "path_b64", "L2Qv//4=");		/* "/d/\xff\xfe" */
	assert_non_null(e);
	assert_int_equal(json_integer_value(json_object_get(e, "lookups")), 2);
	e = find(live, "path", "/d");
	assert_non_null(e);
	assert_null(json_object_get(e, "path_b64"));
	/* a hardlink: both names (in name order), one of them not UTF-8 */
	e = find(live, "path", "/ok");
	assert_non_null(e);
	assert_int_equal(json_array_size(json_object_get(e, "names")), 2);
	assert_string_equal(json_string_value(json_array_get(json_object_get(e, "names"), 1)), "/\\xfe");
	assert_string_equal(json_string_value(json_array_get(json_object_get(e, "names_b64"), 0)), "L29r");
	assert_string_equal(json_string_value(json_array_get(json_object_get(e, "names_b64"), 1)), "L/4=");
	json_decref(reply);
}

static void test_stats_answers(void **state)
{
	json_t *reply = control_handle(&fs, "stats\n", 6);

	(void)state;
	assert_non_null(reply);
	assert_null(json_object_get(reply, "error"));
	assert_string_equal(json_string_value(json_object_get(reply, "mountpoint_b64")), "L21udP8=");
	assert_string_equal(json_string_value(json_object_get(reply, "mountpoint")), "/mnt\\xff");
	assert_int_equal(json_integer_value(json_object_get(reply, "entries")), 5);
	json_decref(reply);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_live_lists_every_name),
		cmocka_unit_test(test_stats_answers),
	};

	return cmocka_run_group_tests_name("control_names", tests, setup, teardown);
}
