// SPDX-License-Identifier: MIT
/* The EROFS writer's checks: every bad entry or tree is refused by name. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "../../erofs/erofs_writer.h"

static struct erofs_writer *w;

static int setup(void **state)
{
	struct error *err = NULL;

	(void)state;
	return erofs_writer_new(&w, &err);
}

static int teardown(void **state)
{
	(void)state;
	erofs_writer_free(w);
	w = NULL;
	return 0;
}

static struct erofs_entry dir(uint32_t parent, const char *name)
{
	return (struct erofs_entry){ .parent = parent, .name = name,
				     .hardlink = EROFS_NO_LINK, .mode = S_IFDIR | 0755 };
}

static struct erofs_entry file(uint32_t parent, const char *name)
{
	return (struct erofs_entry){ .parent = parent, .name = name,
				     .hardlink = EROFS_NO_LINK, .mode = S_IFREG | 0644 };
}

static uint32_t add_ok(struct erofs_entry e)
{
	struct error *err = NULL;
	uint32_t idx = UINT32_MAX;

	if (erofs_writer_add(w, &e, &idx, &err) < 0) {
		print_error("unexpected: %s\n", err->msg);
		error_free(&err);
		fail();
	}
	return idx;
}

/* Adding E fails with ERRNUM and a message holding every one of the words. */
static void add_fails(struct erofs_entry e, int errnum, const char *word, const char *word2)
{
	struct error *err = NULL;

	assert_int_equal(erofs_writer_add(w, &e, NULL, &err), -1);
	assert_non_null(err);
	if (!strstr(err->msg, word) || (word2 && !strstr(err->msg, word2)))
		print_error("message: %s\n", err->msg);
	assert_non_null(strstr(err->msg, word));
	if (word2)
		assert_non_null(strstr(err->msg, word2));
	assert_int_equal(err->errnum, errnum);
	error_free(&err);
}

/* Writing fails with ERRNUM and a message holding every one of the words. */
static void write_fails(int errnum, const char *word, const char *word2)
{
	struct error *err = NULL;
	int fd = memfd_create("img", MFD_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(erofs_writer_write(w, fd, &err), -1);
	assert_non_null(err);
	if (!strstr(err->msg, word) || (word2 && !strstr(err->msg, word2)))
		print_error("message: %s\n", err->msg);
	assert_non_null(strstr(err->msg, word));
	if (word2)
		assert_non_null(strstr(err->msg, word2));
	assert_int_equal(err->errnum, errnum);
	error_free(&err);
	close(fd);
}

/* The image in a memfd; returns its fd. */
static int write_ok(void)
{
	struct error *err = NULL;
	int fd = memfd_create("img", MFD_CLOEXEC);

	assert_true(fd >= 0);
	if (erofs_writer_write(w, fd, &err) < 0) {
		print_error("unexpected: %s\n", err->msg);
		error_free(&err);
		fail();
	}
	return fd;
}

static void bad_names(void **state)
{
	char longest[256], too_long[257];

	(void)state;
	add_ok(dir(EROFS_NO_PARENT, ""));
	add_fails(file(0, "a/b"), EINVAL, "invalid name", "\"a/b\"");
	add_fails(file(0, "."), EINVAL, "invalid name", NULL);
	add_fails(file(0, ".."), EINVAL, "invalid name", NULL);
	add_fails(file(0, ""), EINVAL, "invalid name", NULL);
	memset(too_long, 'x', 256);
	too_long[256] = '\0';
	add_fails(file(0, too_long), EINVAL, "invalid name", NULL);
	memset(longest, 'x', 255);
	longest[255] = '\0';
	/* refused entries take no index */
	assert_int_equal(add_ok(file(0, longest)), 1);
	assert_int_equal(add_ok(file(0, "..a")), 2);
	close(write_ok());
}

static void bad_roots(void **state)
{
	struct erofs_entry named = dir(EROFS_NO_PARENT, "r");
	struct erofs_entry not_dir = file(EROFS_NO_PARENT, "");

	(void)state;
	add_fails(named, EINVAL, "root has a name", NULL);
	add_fails(not_dir, EINVAL, "root is not a directory", NULL);
	add_ok(file(1, "f"));		/* its parent comes later */
	write_fails(EINVAL, "no root", NULL);
	add_ok(dir(EROFS_NO_PARENT, ""));
	add_fails(dir(EROFS_NO_PARENT, ""), EEXIST, "second root", NULL);
	close(write_ok());
}

static void bad_attributes(void **state)
{
	struct erofs_entry e;
	char target[EROFS_SYMLINK_MAX + 2];

	(void)state;
	add_ok(dir(EROFS_NO_PARENT, ""));
	e = file(0, "f");
	e.mode = S_IFREG | 0200000;
	add_fails(e, EINVAL, "unknown bits", "\"f\"");
	e.mode = 0644;
	add_fails(e, EINVAL, "no file type", NULL);
	e = file(0, "f");
	e.mtime_nsec = 1000000000;
	add_fails(e, EINVAL, "nanoseconds", NULL);
	e = file(0, "f");
	e.size = (uint64_t)INT64_MAX + 1;
	add_fails(e, EFBIG, "too large", NULL);
	e = dir(0, "d");
	e.data = "x";
	add_fails(e, EINVAL, "not a regular file", NULL);
	e = file(0, "f");
	e.symlink = "x";
	add_fails(e, EINVAL, "not a symlink", NULL);
	e = file(0, "l");
	e.mode = S_IFLNK | 0777;
	add_fails(e, ENAMETOOLONG, "empty symlink target", NULL);
	e.symlink = "";
	add_fails(e, ENAMETOOLONG, "empty symlink target", NULL);
	memset(target, 't', sizeof(target) - 1);
	target[sizeof(target) - 1] = '\0';
	e.symlink = target;
	add_fails(e, ENAMETOOLONG, "longer than 4095 bytes", NULL);
	target[EROFS_SYMLINK_MAX] = '\0';
	add_ok(e);
	e = file(0, "dev");
	e.mode = S_IFCHR | 0600;
	e.rdev = makedev(0x1000, 1);
	add_fails(e, ERANGE, "device 4096:1", NULL);
	e.rdev = makedev(1, 0x100000);
	add_fails(e, ERANGE, "out of range", NULL);
	e.rdev = makedev(0xfff, 0xfffff);
	add_ok(e);
	close(write_ok());
}

static void bad_xattrs(void **state)
{
	static char big[EROFS_XATTR_VALUE_MAX + 1];
	struct erofs_xattr x[2] = { { "user.a", "1", 1 }, { "user.a", "2", 1 } };
	struct erofs_entry e = file(0, "f");
	char name[300];

	(void)state;
	add_ok(dir(EROFS_NO_PARENT, ""));
	e.xattrs = x;
	e.nxattrs = 2;
	add_fails(e, EEXIST, "given twice", "\"f\"");
	x[1] = (struct erofs_xattr){ "system.foo", "1", 1 };
	add_fails(e, EOPNOTSUPP, "xattr system.foo", NULL);
	x[1] = (struct erofs_xattr){ "user.", "1", 1 };
	add_fails(e, EOPNOTSUPP, "not a name EROFS can store", NULL);
	x[1] = (struct erofs_xattr){ "system.posix_acl_accessX", "1", 1 };
	add_fails(e, EOPNOTSUPP, "not a name", NULL);
	memset(name, 'n', sizeof(name) - 1);
	memcpy(name, "user.", 5);
	name[sizeof(name) - 1] = '\0';
	x[1] = (struct erofs_xattr){ name, "1", 1 };
	add_fails(e, EOPNOTSUPP, "not a name", NULL);
	x[1] = (struct erofs_xattr){ "user.big", big, sizeof(big) };
	add_fails(e, E2BIG, "65536 bytes", NULL);
	x[1] = (struct erofs_xattr){ "user.null", NULL, 3 };
	add_fails(e, E2BIG, "user.null", NULL);
	x[1] = (struct erofs_xattr){ NULL, "1", 1 };
	add_fails(e, EINVAL, "no name", NULL);
	x[1] = (struct erofs_xattr){ "user.big", big, sizeof(big) - 1 };
	add_ok(e);
	close(write_ok());
}

/* Five values of 64 KiB do not fit one inode's 16-bit xattr count. */
static void xattrs_too_large_for_an_inode(void **state)
{
	static char v[5][EROFS_XATTR_VALUE_MAX];
	struct erofs_xattr x[5];
	struct erofs_entry e = file(0, "full");
	int i;

	(void)state;
	for (i = 0; i < 5; i++) {
		memset(v[i], 'a' + i, sizeof(v[i]));
		x[i] = (struct erofs_xattr){ NULL, v[i], sizeof(v[i]) };
	}
	x[0].name = "user.0";
	x[1].name = "user.1";
	x[2].name = "user.2";
	x[3].name = "user.3";
	x[4].name = "user.4";
	add_ok(dir(EROFS_NO_PARENT, ""));
	add_ok(dir(0, "d"));
	e.parent = 1;
	e.xattrs = x;
	e.nxattrs = 5;
	add_ok(e);
	write_fails(E2BIG, "/d/full", "xattrs of");
}

static void bad_hardlinks(void **state)
{
	struct erofs_entry e = file(0, "h");

	(void)state;
	add_ok(dir(EROFS_NO_PARENT, ""));
	add_ok(dir(0, "d"));
	add_ok(file(0, "f"));
	e.hardlink = 3;		/* itself */
	add_fails(e, EINVAL, "not an earlier one", "\"h\"");
	e.hardlink = 1;
	add_fails(e, EPERM, "hardlink to a directory", NULL);
	e.hardlink = 2;
	assert_int_equal(add_ok(e), 3);
	e.name = "h2";
	e.parent = 1;
	e.hardlink = 3;		/* a name of a name: the same inode */
	add_ok(e);
	/* a name of the file is no directory to put entries in */
	add_ok(file(3, "under-a-link"));
	write_fails(ENOTDIR, "/h/under-a-link", "parent 3 is not a directory");
}

static void own_parent(void **state)
{
	(void)state;
	add_ok(dir(EROFS_NO_PARENT, ""));
	add_fails(dir(1, "self"), EINVAL, "its own parent", NULL);
}

static void missing_parent(void **state)
{
	(void)state;
	add_ok(dir(EROFS_NO_PARENT, ""));
	add_ok(file(7, "orphan"));
	write_fails(EINVAL, "?/orphan", "parent 7 was never added");
}

static void parent_not_a_directory(void **state)
{
	(void)state;
	add_ok(dir(EROFS_NO_PARENT, ""));
	add_ok(file(0, "f"));
	add_ok(file(1, "g"));
	write_fails(ENOTDIR, "/f/g", "not a directory");
}

static void duplicate_names(void **state)
{
	(void)state;
	add_ok(dir(EROFS_NO_PARENT, ""));
	add_ok(dir(0, "d"));
	add_ok(file(1, "x"));
	add_ok(file(1, "y"));
	add_ok(dir(1, "x"));
	write_fails(EEXIST, "/d/x", "given twice");
}

static void parent_loop(void **state)
{
	(void)state;
	add_ok(dir(EROFS_NO_PARENT, ""));
	add_ok(dir(2, "a"));	/* a in b, b in a: neither under the root */
	add_ok(dir(1, "b"));
	add_ok(file(0, "fine"));
	write_fails(ELOOP, "not reachable", NULL);
}

static void write_error(void **state)
{
	struct error *err = NULL;
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	(void)state;
	add_ok(dir(EROFS_NO_PARENT, ""));
	assert_true(fd >= 0);
	assert_int_equal(erofs_writer_write(w, fd, &err), -1);
	assert_int_equal(err->errnum, EBADF);
	assert_non_null(strstr(err->msg, "write EROFS image"));
	error_free(&err);
	close(fd);
}

/* A minimal image, read back by hand: superblock, root inode, dirents. */
static void image_layout(void **state)
{
	unsigned char *img;
	struct stat st;
	uint32_t blocks;
	uint16_t root_nid, format;
	int fd;

	(void)state;
	add_ok(dir(EROFS_NO_PARENT, ""));
	add_ok(file(0, "f"));
	fd = write_ok();
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_size % 4096, 0);
	img = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	assert_true(img != MAP_FAILED);
	assert_int_equal(le32toh(*(uint32_t *)(img + 1024)), 0xE0F5E1E2);
	assert_int_equal(img[1024 + 12], 12);			/* blkszbits */
	memcpy(&blocks, img + 1024 + 36, 4);
	assert_int_equal((uint64_t)le32toh(blocks) * 4096, (uint64_t)st.st_size);
	memcpy(&root_nid, img + 1024 + 14, 2);
	root_nid = le16toh(root_nid);
	assert_int_equal(root_nid, (1024 + 128) / 32);	/* right after the superblock */
	memcpy(&format, img + root_nid * 32, 2);
	/* compact (both times are 0), flat inline: "." ".." "f" after the inode */
	assert_int_equal(le16toh(format), 2 << 1);
	assert_memory_equal(img + root_nid * 32 + 32 + 36, "...f", 4);
	munmap(img, (size_t)st.st_size);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(bad_names, setup, teardown),
		cmocka_unit_test_setup_teardown(bad_roots, setup, teardown),
		cmocka_unit_test_setup_teardown(bad_attributes, setup, teardown),
		cmocka_unit_test_setup_teardown(bad_xattrs, setup, teardown),
		cmocka_unit_test_setup_teardown(xattrs_too_large_for_an_inode, setup, teardown),
		cmocka_unit_test_setup_teardown(bad_hardlinks, setup, teardown),
		cmocka_unit_test_setup_teardown(own_parent, setup, teardown),
		cmocka_unit_test_setup_teardown(missing_parent, setup, teardown),
		cmocka_unit_test_setup_teardown(parent_not_a_directory, setup, teardown),
		cmocka_unit_test_setup_teardown(duplicate_names, setup, teardown),
		cmocka_unit_test_setup_teardown(parent_loop, setup, teardown),
		cmocka_unit_test_setup_teardown(write_error, setup, teardown),
		cmocka_unit_test_setup_teardown(image_layout, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
