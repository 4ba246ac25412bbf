// SPDX-License-Identifier: MIT
/*
 * The saved tree format (image/saved_tree.h): a round trip keeps every
 * entry, attribute, xattr, link target, hardlink and file place; a
 * truncated file, any flipped byte, another identity or version, and
 * bodies that lie (counts, parents, links, file places) resealed with a
 * right checksum are all refused, leaving nothing behind.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "../../image/digest.h"
#include "../../image/saved_tree.h"

#define ID "manifest sha256:aa index sha256:bb,sha256:cc"

static struct image_attr attr(mode_t mode, uint64_t size, uint64_t src_off)
{
	struct image_attr a = {
		.mode = mode, .uid = 1000, .gid = 2000, .size = size,
		.blocks = 8, .src_off = src_off,
		.atime = { 1, 2 }, .mtime = { -5, 999999999 }, .ctime = { 1700000000, 7 },
	};

	return a;
}

/* root{xattr}/{a (suid, xattrs), d/{b = a, e/, c (0 bytes)}, l -> a, n (chr)} */
static void build(struct image *img, struct flat_result *flat)
{
	struct error *err = NULL;
	struct image_attr dir = attr(S_IFDIR | 0755, 0, 0),
			  a = attr(S_IFREG | 04755, 10, 1),
			  c = attr(S_IFREG | 0600, 0, 0),
			  lnk = attr(S_IFLNK | 0777, 1, 0),
			  chr = attr(S_IFCHR | 0620, 0, 0);
	uint32_t na, d, e, x;
	static const unsigned char cap[] = { 1, 0, 0, 2, 0xff, 0, 0, 0 };

	lnk.link = "a";
	chr.rdev = makedev(4, 5);
	image_init(img);
	assert_int_equal(image_add_root(img, &dir, &err), 0);
	assert_int_equal(image_add_xattr(img, 0, "user.root", "r", 1, &err), 0);
	assert_int_equal(image_add(img, 0, "a", &a, &na, &err), 0);
	assert_int_equal(image_add_xattr(img, na, "security.capability", cap, sizeof(cap), &err), 0);
	assert_int_equal(image_add_xattr(img, na, "user.empty", "", 0, &err), 0);
	assert_int_equal(image_add(img, 0, "d", &dir, &d, &err), 0);
	assert_int_equal(image_link(img, d, "b", na, &err), 0);
	assert_int_equal(image_add(img, d, "e", &dir, &e, &err), 0);
	assert_int_equal(image_add(img, d, "c", &c, &x, &err), 0);
	assert_int_equal(image_add(img, 0, "l", &lnk, &x, &err), 0);
	assert_int_equal(image_add(img, 0, "n", &chr, &x, &err), 0);
	assert_int_equal(image_finalize(img, &err), 0);
	assert_null(err);
	flat->nfiles = 2;
	flat->files = calloc(2, sizeof(*flat->files));
	assert_non_null(flat->files);
	flat->files[0] = (struct flat_file){ .layer = 1, .data_off = 512, .size = 0 };
	flat->files[1] = (struct flat_file){ .layer = 0, .data_off = 1ull << 40, .size = 10 };
}

static void same_node(const struct image_node *x, const struct image_node *y)
{
	uint32_t i;

	assert_int_equal(x->parent, y->parent);
	assert_true(x->name == y->name || !strcmp(x->name, y->name));
	assert_int_equal(x->mode, y->mode);
	assert_int_equal(x->uid, y->uid);
	assert_int_equal(x->gid, y->gid);
	assert_int_equal(x->nlink, y->nlink);
	assert_int_equal(x->size, y->size);
	assert_int_equal(x->blocks, y->blocks);
	assert_int_equal(x->rdev, y->rdev);
	assert_memory_equal(&x->atime, &y->atime, sizeof(x->atime));
	assert_memory_equal(&x->mtime, &y->mtime, sizeof(x->mtime));
	assert_memory_equal(&x->ctime, &y->ctime, sizeof(x->ctime));
	assert_true(x->link == y->link || !strcmp(x->link, y->link));
	assert_int_equal(x->src_off, y->src_off);
	assert_int_equal(x->nxattrs, y->nxattrs);
	for (i = 0; i < x->nxattrs; i++) {
		assert_string_equal(x->xattrs[i].name, y->xattrs[i].name);
		assert_int_equal(x->xattrs[i].size, y->xattrs[i].size);
		assert_memory_equal(x->xattrs[i].value, y->xattrs[i].value, x->xattrs[i].size);
	}
	assert_int_equal(x->nchildren, y->nchildren);
	for (i = 0; i < x->nchildren; i++) {
		assert_string_equal(x->children[i].name, y->children[i].name);
		assert_int_equal(x->children[i].node, y->children[i].node);
	}
}

static void encode(const struct image *img, const struct flat_result *flat,
		   void **buf, size_t *len)
{
	struct error *err = NULL;

	assert_int_equal(saved_tree_encode(img, flat, ID, buf, len, &err), 0);
	assert_null(err);
}

/* Decoding BUF must fail with ERRNUM (0: any), leaving IMG and FLAT empty. */
static void refused(const void *buf, size_t len, const char *id, int errnum)
{
	struct image img;
	struct flat_result flat;
	struct error *err = NULL;

	image_init(&img);
	assert_int_equal(saved_tree_decode(buf, len, id, &img, &flat, &err), -1);
	assert_non_null(err);
	if (errnum)
		assert_int_equal(err->errnum, errnum);
	assert_int_equal(img.count, 0);
	assert_null(flat.files);
	error_free(&err);
	image_free(&img);
}

static void test_round_trip(void **state)
{
	struct image img, got;
	struct flat_result flat, gflat;
	struct error *err = NULL;
	char path[] = "/tmp/test_saved_tree.XXXXXX";
	void *buf;
	size_t len;
	uint32_t i;
	int fd;

	(void)state;
	build(&img, &flat);
	encode(&img, &flat, &buf, &len);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(saved_tree_save(path, &img, &flat, ID, &err), 0);
	image_init(&got);
	assert_int_equal(saved_tree_load(path, ID, &got, &gflat, &err), 0);
	assert_null(err);
	unlink(path);
	assert_int_equal(got.count, img.count);
	assert_int_equal(got.total_bytes, img.total_bytes);
	assert_int_equal(got.nregular, img.nregular);
	for (i = 0; i < img.count; i++)
		same_node(&img.nodes[i], &got.nodes[i]);
	assert_int_equal(gflat.nfiles, flat.nfiles);
	assert_memory_equal(gflat.files, flat.files, flat.nfiles * sizeof(*flat.files));
	/* the hardlink: d/b is node a, two links */
	assert_int_equal(image_lookup_path(&got, "d/b"), image_lookup_path(&got, "a"));
	assert_int_equal(got.nodes[image_lookup_path(&got, "a")].nlink, 2);
	image_free(&got);
	flat_result_free(&gflat);
	image_free(&img);
	flat_result_free(&flat);
	free(buf);
}

static void test_truncated_and_flipped(void **state)
{
	struct image img;
	struct flat_result flat;
	unsigned char *buf;
	size_t len, i;

	(void)state;
	build(&img, &flat);
	encode(&img, &flat, (void **)&buf, &len);
	for (i = 0; i < len; i++)
		refused(buf, i, ID, 0);
	for (i = 0; i < len; i++) {
		buf[i] ^= 0x01;
		refused(buf, len, ID, 0);
		buf[i] ^= 0x01;
	}
	refused(buf, len, "manifest sha256:aa index sha256:bb", ESTALE);
	buf[8] = 2;	/* version */
	refused(buf, len, ID, EPROTO);
	image_free(&img);
	flat_result_free(&flat);
	free(buf);
}

/* Where the body starts: magic, version, identity, body length, sha256. */
static size_t body_at(void)
{
	return 8 + 4 + 4 + strlen(ID) + 8 + 32;
}

/* A checksum right for a changed body: only the bounds checks stand. */
static void reseal(unsigned char *buf, size_t len)
{
	size_t at = body_at();

	assert_int_equal(sha256_buf(buf + at, len - at, buf + at - 32), 0);
}

static void put32(unsigned char *p, uint32_t v)
{
	p[0] = v; p[1] = v >> 8; p[2] = v >> 16; p[3] = v >> 24;
}

static void test_lying_bodies(void **state)
{
	struct image img;
	struct flat_result flat;
	unsigned char *buf, *copy;
	size_t len, at = body_at();
	uint32_t a, saved;

	(void)state;
	build(&img, &flat);
	encode(&img, &flat, (void **)&buf, &len);
	copy = malloc(len);
	assert_non_null(copy);

	/* counts: more nodes, files or links than the body holds */
	for (int field = 0; field < 3; field++) {
		uint32_t lies[] = { 0xffffffffu, 1000, 0 };

		for (size_t k = 0; k < 3; k++) {
			memcpy(copy, buf, len);
			put32(copy + at + 4 * field, lies[k]);
			reseal(copy, len);
			refused(copy, len, ID, 0);
		}
	}
	/* a string length past the end (the root's name) */
	memcpy(copy, buf, len);
	put32(copy + at + 12 + 4, 0x7fffffffu);
	reseal(copy, len);
	refused(copy, len, ID, EBADMSG);
	/* bytes after the files */
	{
		unsigned char *longer = calloc(1, len + 4);

		assert_non_null(longer);
		memcpy(longer, buf, len);
		/* the body length in the header grows with it */
		uint64_t blen = len + 4 - at;
		for (int b = 0; b < 8; b++)
			longer[at - 40 + b] = (unsigned char)(blen >> (8 * b));
		reseal(longer, len + 4);
		refused(longer, len + 4, ID, EBADMSG);
		free(longer);
	}

	/* a parent after its entry */
	a = image_lookup_path(&img, "d/e");
	saved = img.nodes[a].parent;
	img.nodes[a].parent = img.count - 1;
	free(buf);
	encode(&img, &flat, (void **)&buf, &len);
	refused(buf, len, ID, 0);
	img.nodes[a].parent = saved;

	/* a file whose place is not among the files */
	a = image_lookup_path(&img, "a");
	img.nodes[a].src_off = 7;
	free(buf);
	encode(&img, &flat, (void **)&buf, &len);
	refused(buf, len, ID, EBADMSG);
	img.nodes[a].src_off = 1;

	/* a name that climbs: ".." */
	free(img.nodes[a].name);
	img.nodes[a].name = strdup("..");
	free(buf);
	encode(&img, &flat, (void **)&buf, &len);
	refused(buf, len, ID, EINVAL);

	image_free(&img);
	flat_result_free(&flat);
	free(buf);
	free(copy);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_truncated_and_flipped),
		cmocka_unit_test(test_lying_bodies),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
