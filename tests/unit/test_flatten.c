// SPDX-License-Identifier: MIT
/*
 * Flattening layers the way a runtime extracts them: the expected trees
 * below follow the OCI image spec ("Applying changesets"), written out
 * by hand for each case.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../../image/flatten.h"

#define MAX_ENTRIES 32

/* A layer made of entries written as "F path size", "D path", "L path target", "H path target". */
struct test_layer {
	struct layer_index idx;
	struct layer_entry e[MAX_ENTRIES];
};

static void layer_init(struct test_layer *l, const char *const *specs)
{
	uint32_t n = 0;

	memset(l, 0, sizeof(*l));
	for (; *specs; specs++, n++) {
		struct layer_entry *e = &l->e[n];
		char kind, path[256], arg[256] = "";

		assert_true(n < MAX_ENTRIES);
		assert_true(sscanf(*specs, "%c %255s %255s", &kind, path, arg) >= 2);
		e->path = strdup(strcmp(path, "/") ? path : "");
		e->uid = 1000 + n;
		e->mtime.tv_sec = 1700000000 + n;
		e->data_off = 512u * (n + 1);
		switch (kind) {
		case 'F':
			e->mode = S_IFREG | 0644;
			e->size = strtoull(arg, NULL, 10);
			break;
		case 'D':
			e->mode = S_IFDIR | 0755;
			break;
		case 'L':
			e->mode = S_IFLNK | 0777;
			e->link = strdup(arg);
			e->size = strlen(arg);
			break;
		case 'H':
			e->mode = S_IFREG | 0644;
			e->kind = LAYER_ENTRY_HARDLINK;
			e->hardlink = strdup(arg);
			break;
		default:
			fail_msg("bad spec %s", *specs);
		}
	}
	l->idx.entries = l->e;
	l->idx.nentries = n;
}

static void layer_free(struct test_layer *l)
{
	uint32_t i;

	for (i = 0; i < l->idx.nentries; i++) {
		free(l->e[i].path);
		free(l->e[i].link);
		free(l->e[i].hardlink);
	}
}

/* The node at PATH or IMAGE_NONE. */
static uint32_t at(const struct image *img, const char *path)
{
	uint32_t n = 0;

	while (*path && n != IMAGE_NONE) {
		size_t len = strcspn(path, "/");

		n = image_lookup(img, n, path, len);
		path += len + (path[len] == '/');
	}
	return n;
}

/* "path type" of every entry, depth first: compared with the expected listing. */
static void listing(const struct image *img, uint32_t dir, const char *prefix,
		    char *out, size_t cap)
{
	uint32_t i;

	for (i = 0; i < img->nodes[dir].nchildren; i++) {
		const struct image_dirent *d = &img->nodes[dir].children[i];
		mode_t m = img->nodes[d->node].mode;
		char path[512];

		snprintf(path, sizeof(path), "%s%s", prefix, d->name);
		snprintf(out + strlen(out), cap - strlen(out), "%s%c ", path,
			 S_ISDIR(m) ? '/' : S_ISLNK(m) ? '@' : ' ');
		if (S_ISDIR(m)) {
			strcat(path, "/");
			listing(img, d->node, path, out, cap);
		}
	}
}

struct flat_case {
	struct image img;
	struct flat_result res;
	struct test_layer layers[3];
	char list[4096];
};

static void flatten(struct flat_case *c, uint32_t n)
{
	const struct layer_index *idx[3];
	struct error *err = NULL;
	uint32_t i;

	for (i = 0; i < n; i++)
		idx[i] = &c->layers[i].idx;
	image_init(&c->img);
	assert_int_equal(flatten_layers(idx, n, &c->img, &c->res, &err), 0);
	assert_null(err);
	assert_int_equal(image_finalize(&c->img, &err), 0);
	c->list[0] = '\0';
	listing(&c->img, 0, "", c->list, sizeof(c->list));
}

static void case_free(struct flat_case *c, uint32_t n)
{
	uint32_t i;

	image_free(&c->img);
	flat_result_free(&c->res);
	for (i = 0; i < n; i++)
		layer_free(&c->layers[i]);
}

static void test_whiteouts_and_opaque(void **state)
{
	static const char *const l1[] = {
		"D /", "D a", "F a/x 10", "F a/y 20", "F b 30", "D c", "F c/z 40",
		"D c/sub", "F c/sub/deep 1", "F keep 5", NULL };
	static const char *const l2[] = {
		"F a/.wh.x 0", "D c", "F c/.wh..wh..opq 0", "F c/new 7",
		"D b", "F b/in 8", "F .wh.nothing 0", NULL };
	static const char *const l3[] = {
		"D a", "F a/x 11", "F c/.wh.new 0", NULL };
	struct flat_case *c = calloc(1, sizeof(*c));
	uint32_t x;

	(void)state;
	layer_init(&c->layers[0], l1);
	layer_init(&c->layers[1], l2);
	layer_init(&c->layers[2], l3);
	flatten(c, 3);
	assert_string_equal(c->list,
			    "a/ a/x  a/y  b/ b/in  c/ keep  ");
	/* a/x came back in layer 3: its data is there */
	x = at(&c->img, "a/x");
	assert_int_equal(c->img.nodes[x].size, 11);
	assert_int_equal(c->res.files[c->img.nodes[x].src_off].layer, 2);
	assert_int_equal(c->res.files[c->img.nodes[x].src_off].data_off,
			 c->layers[2].e[1].data_off);
	/* a directory over a directory takes the new attributes */
	assert_int_equal(c->img.nodes[at(&c->img, "a")].uid, 1000);
	assert_int_equal(c->img.nodes[at(&c->img, "c")].uid, 1001);
	/* the root's own entry sets its attributes */
	assert_int_equal(c->img.nodes[0].uid, 1000);
	assert_int_equal(c->img.nodes[0].mtime.tv_sec, 1700000000);
	case_free(c, 3);
	free(c);
}

static void test_replacements(void **state)
{
	/* a file over a dir, a dir over a file, a symlink over a file, duplicates */
	static const char *const l1[] = {
		"D d", "F d/f 1", "F f 2", "F s 3", "F dup 1", "F dup 2", NULL };
	static const char *const l2[] = {
		"F d 4", "D f", "F f/g 5", "L s target", NULL };
	struct flat_case *c = calloc(1, sizeof(*c));
	uint32_t dup, d;

	(void)state;
	layer_init(&c->layers[0], l1);
	layer_init(&c->layers[1], l2);
	flatten(c, 2);
	assert_string_equal(c->list, "d  dup  f/ f/g  s@ ");
	dup = at(&c->img, "dup");
	assert_int_equal(c->img.nodes[dup].size, 2);	/* the later one */
	d = at(&c->img, "d");
	assert_true(S_ISREG(c->img.nodes[d].mode));
	assert_int_equal(c->res.files[c->img.nodes[d].src_off].layer, 1);
	assert_string_equal(c->img.nodes[at(&c->img, "s")].link, "target");
	assert_int_equal(c->img.nodes[0].uid, 0);	/* no root entry: defaults */
	case_free(c, 2);
	free(c);
}

static void test_hardlinks(void **state)
{
	static const char *const l1[] = {
		"F f 9", "H g f", "H bad nothere", "D dir", "H dir/h f", NULL };
	static const char *const l2[] = {
		"F .wh.f 0", "H late g", NULL };
	struct flat_case *c = calloc(1, sizeof(*c));
	uint32_t g;

	(void)state;
	layer_init(&c->layers[0], l1);
	layer_init(&c->layers[1], l2);
	flatten(c, 2);
	/* f removed by a later layer: g and dir/h keep the data; a link to
	 * an unknown name and across layers is left out */
	assert_string_equal(c->list, "dir/ dir/h  g  ");
	g = at(&c->img, "g");
	assert_int_equal(at(&c->img, "dir/h"), g);
	assert_int_equal(c->img.nodes[g].nlink, 2);
	assert_int_equal(c->img.nodes[g].size, 9);
	assert_int_equal(c->res.ignored, 2);
	case_free(c, 2);
	free(c);
}

static void test_stable_numbers(void **state)
{
	/* the same layers in a different tar order give the same node numbers */
	static const char *const a[] = { "D z", "F z/1 1", "F b 2", "D a", "F a/q 3", NULL };
	static const char *const b[] = { "F b 2", "D a", "F a/q 3", "D z", "F z/1 1", NULL };
	struct flat_case *c1 = calloc(1, sizeof(*c1)), *c2 = calloc(1, sizeof(*c2));

	(void)state;
	layer_init(&c1->layers[0], a);
	layer_init(&c2->layers[0], b);
	flatten(c1, 1);
	flatten(c2, 1);
	assert_string_equal(c1->list, c2->list);
	assert_int_equal(at(&c1->img, "z/1"), at(&c2->img, "z/1"));
	assert_int_equal(at(&c1->img, "a/q"), at(&c2->img, "a/q"));
	assert_int_equal(at(&c1->img, "b"), at(&c2->img, "b"));
	case_free(c1, 1);
	case_free(c2, 1);
	free(c1);
	free(c2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_whiteouts_and_opaque),
		cmocka_unit_test(test_replacements),
		cmocka_unit_test(test_hardlinks),
		cmocka_unit_test(test_stable_numbers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
