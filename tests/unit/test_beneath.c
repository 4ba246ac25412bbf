// SPDX-License-Identifier: MIT
/* Paths into a tree the workload controls, on real files: a symlink or a
 * way out anywhere on the path is refused, never followed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../common/fsutil.h"
#include "../../ovlmig/beneath.h"

static char dir[64];
static int root = -1;

/* DIR/tree: a/b/f (a file), a/fifo, a/up -> DIR/outside (a host dir
 * holding f), a/rel -> b; DIR/outside is the "host". */
static int setup(void **state)
{
	char path[256];
	int fd;

	(void)state;
	strcpy(dir, "/tmp/ovlmig-unit.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/outside", dir);
	if (mkdir(path, 0755) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/outside/f", dir);
	fd = open(path, O_WRONLY | O_CREAT, 0644);
	if (fd < 0 || close(fd) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/tree", dir);
	if (mkdir(path, 0755) < 0)
		return -1;
	root = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (root < 0 || mkdirat(root, "a", 0755) < 0 || mkdirat(root, "a/b", 0755) < 0 ||
	    mkfifoat(root, "a/fifo", 0644) < 0)
		return -1;
	fd = openat(root, "a/b/f", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0 || close(fd) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/outside", dir);
	return symlinkat(path, root, "a/up") < 0 || symlinkat("b", root, "a/rel") < 0 ? -1 : 0;
}

static int teardown(void **state)
{
	struct error *err = NULL;

	(void)state;
	close(root);
	remove_tree(dir, &err);
	error_free(&err);
	return 0;
}

static void test_parent_of_a_file(void **state)
{
	const char *name;
	struct stat st;
	int fd;

	(void)state;
	fd = beneath_parent(root, "a/b/f", &name);
	assert_true(fd >= 0);
	assert_string_equal(name, "f");
	assert_int_equal(fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW), 0);
	assert_true(S_ISREG(st.st_mode));
	close(fd);
	/* a name at the root: the root itself holds it */
	fd = beneath_parent(root, "a", &name);
	assert_true(fd >= 0);
	assert_string_equal(name, "a");
	close(fd);
}

static void test_symlinks_on_the_way_refused(void **state)
{
	const char *name;

	(void)state;
	/* to the host, and even one that stays inside */
	assert_int_equal(beneath_parent(root, "a/up/f", &name), -1);
	assert_true(beneath_changed(errno));
	assert_int_equal(beneath_parent(root, "a/rel/f", &name), -1);
	assert_true(beneath_changed(errno));
	assert_int_equal(beneath_open(root, "a/up", O_RDONLY | O_DIRECTORY, 0), -1);
	assert_true(beneath_changed(errno));
	/* out through ".." or from "/" */
	assert_int_equal(beneath_open(root, "a/../../outside", O_RDONLY, 0), -1);
	assert_true(beneath_changed(errno));
	assert_int_equal(beneath_parent(root, "/etc/passwd", &name), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(beneath_parent(root, "a/b/", &name), -1);
	assert_int_equal(errno, EINVAL);
	/* a file where a directory was */
	assert_int_equal(beneath_parent(root, "a/b/f/g", &name), -1);
	assert_true(beneath_changed(errno));
	assert_false(beneath_changed(ENOENT));
}

static void test_open_regular_only(void **state)
{
	struct stat st;
	int fd, dirfd = beneath_open(root, "a", O_RDONLY | O_DIRECTORY, 0);

	(void)state;
	assert_true(dirfd >= 0);
	/* a FIFO is never opened (an open for writing would block or fail) */
	assert_int_equal(beneath_open_regular(dirfd, "fifo", O_WRONLY, &st), -1);
	assert_int_equal(errno, ENOENT);
	/* nor a symlink, nor a directory */
	assert_int_equal(beneath_open_regular(dirfd, "up", O_RDONLY, &st), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(beneath_open_regular(dirfd, "b", O_RDONLY, &st), -1);
	assert_int_equal(errno, ENOENT);
	close(dirfd);
	dirfd = beneath_open(root, "a/b", O_RDONLY | O_DIRECTORY, 0);
	assert_true(dirfd >= 0);
	fd = beneath_open_regular(dirfd, "f", O_WRONLY, &st);
	assert_true(fd >= 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(write(fd, "x", 1), 1);
	close(fd);
	assert_int_equal(fstatat(dirfd, "f", &st, 0), 0);
	assert_int_equal(st.st_size, 1);
	close(dirfd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_parent_of_a_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_symlinks_on_the_way_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_regular_only, setup, teardown),
	};

	return cmocka_run_group_tests_name("beneath", tests, NULL, NULL);
}
