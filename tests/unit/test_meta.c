// SPDX-License-Identifier: MIT
/* The metadata layer and the state file, on real files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "../../common/fsutil.h"
#include "../../ovlmig/meta.h"
#include "../../ovlmig/state.h"

static char dir[64];

static int setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/ovlmig-unit.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	struct error *err = NULL;

	(void)state;
	remove_tree(dir, &err);
	error_free(&err);
	return 0;
}

static char *at(const char *rel)
{
	char *p;

	assert_true(asprintf(&p, "%s/%s", dir, rel) > 0);
	return p;
}

/* root/{bin/su (setuid, capability, 3 MiB), bin/su2 (hardlink), dev/null, l -> bin} */
static void image(struct image *img)
{
	struct image_attr d = { .mode = S_IFDIR | 0755 };
	struct image_attr su = { .mode = S_IFREG | 04755, .uid = 0, .gid = 5,
				 .size = 3 << 20, .mtime = { 1400000000, 123456789 } };
	struct image_attr null = { .mode = S_IFCHR | 0666, .rdev = makedev(1, 3) };
	struct image_attr l = { .mode = S_IFLNK | 0777, .link = "bin",
				.mtime = { 1300000000, 42 } };
	struct error *err = NULL;
	uint32_t bin, f, dev, n;
	const char cap[20] = { 0, 0, 0, 2, 0, 4 };

	d.mtime = (struct timespec){ 1500000000, 7 };
	image_init(img);
	assert_int_equal(image_add_root(img, &d, &err), 0);
	assert_int_equal(image_add(img, 0, "bin", &d, &bin, &err), 0);
	assert_int_equal(image_add(img, bin, "su", &su, &f, &err), 0);
	assert_int_equal(image_add_xattr(img, f, "security.capability", cap, sizeof(cap), &err), 0);
	assert_int_equal(image_add_xattr(img, f, "trusted.overlay.opaque", "y", 1, &err), 0);
	assert_int_equal(image_link(img, bin, "su2", f, &err), 0);
	assert_int_equal(image_add(img, 0, "dev", &d, &dev, &err), 0);
	assert_int_equal(image_add(img, dev, "null", &null, &n, &err), 0);
	assert_int_equal(image_add(img, 0, "l", &l, &n, &err), 0);
	assert_int_equal(image_finalize(img, &err), 0);
}

static void test_meta_layer(void **state)
{
	struct error *err = NULL;
	struct image img;
	char *meta = at("meta"), *p, buf[64];
	struct stat st, st2;
	ssize_t n;

	(void)state;
	image(&img);
	assert_int_equal(meta_build(&img, meta, &err), 0);

	p = at("meta/bin/su");
	assert_int_equal(lstat(p, &st), 0);
	/* setuid survives: chown came before chmod */
	assert_int_equal(st.st_mode, S_IFREG | 04755);
	assert_int_equal(st.st_gid, 5);
	assert_int_equal(st.st_size, 3 << 20);
	/* metadata only: a hole (an xattr block at most) */
	assert_true(st.st_blocks * 512 < 65536);
	assert_int_equal(st.st_mtim.tv_sec, 1400000000);
	assert_int_equal(st.st_mtim.tv_nsec, 123456789);
	assert_int_equal(st.st_nlink, 2);
	/* the capability survives: set after chown */
	assert_int_equal(lgetxattr(p, "security.capability", buf, sizeof(buf)), 20);
	assert_int_equal(lgetxattr(p, "trusted.overlay.metacopy", buf, sizeof(buf)), 0);
	n = lgetxattr(p, "trusted.overlay.redirect", buf, sizeof(buf));
	assert_int_equal(n, 7);
	assert_memory_equal(buf, "/bin/su", 7);
	/* the image's own trusted.overlay.* never arrives here */
	assert_int_equal(lgetxattr(p, "trusted.overlay.opaque", buf, sizeof(buf)), -1);
	free(p);

	p = at("meta/bin/su2");
	assert_int_equal(lstat(p, &st2), 0);
	assert_int_equal(st2.st_ino, st.st_ino);	/* one inode, two names */
	free(p);
	p = at("meta/dev/null");
	assert_int_equal(lstat(p, &st), 0);
	assert_true(S_ISCHR(st.st_mode));
	assert_int_equal(st.st_rdev, makedev(1, 3));
	free(p);
	p = at("meta/l");
	assert_int_equal(lstat(p, &st), 0);
	assert_int_equal(st.st_mtim.tv_sec, 1300000000);
	free(p);
	/* directory times are set after their entries are made */
	p = at("meta/bin");
	assert_int_equal(lstat(p, &st), 0);
	assert_int_equal(st.st_mtim.tv_sec, 1500000000);
	free(p);
	/* a second build into the same, now full, directory is refused */
	assert_int_equal(meta_build(&img, meta, &err), -1);
	assert_non_null(strstr(err->msg, "Directory not empty"));
	error_free(&err);
	image_free(&img);
	free(meta);
}

static void test_state_roundtrip(void **state)
{
	struct mount_state s = {
		.name = "c1", .target = "/t", .strategy = "datadir",
		.source = "dir:/img", .lower = "/run/l", .own_lower = true,
		.upper = "/u", .work = "/w", .meta = "/m", .cache = "/c",
		.phase = PHASE_MIGRATING, .lowerfs_pid = 4242,
		.fill_range_min = 5ull << 30,
	}, back;
	struct error *err = NULL;
	char *sdir = at("state");

	(void)state;
	assert_int_equal(mkdir(sdir, 0700), 0);
	assert_int_equal(state_save(sdir, &s, &err), 0);
	assert_int_equal(state_load(sdir, &back, &err), 0);
	assert_string_equal(back.name, "c1");
	assert_int_equal(back.phase, PHASE_MIGRATING);
	assert_string_equal(back.source, "dir:/img");
	assert_true(back.own_lower);
	assert_false(back.shutdown_lower);
	assert_int_equal(back.lowerfs_pid, 4242);
	assert_int_equal(back.fill_range_min, 5ull << 30);
	state_free(&back);
	/* a broken file is an error naming the file, not a crash */
	free(sdir);
	sdir = at("state/state.json");
	{
		FILE *f = fopen(sdir, "w");

		assert_non_null(f);
		fputs("{\"name\": 1", f);
		fclose(f);
	}
	free(sdir);
	sdir = at("state");
	assert_int_equal(state_load(sdir, &back, &err), -1);
	assert_non_null(strstr(err->msg, "state.json"));
	error_free(&err);
	/* the phase is written by name; a name that is no phase is refused */
	assert_int_equal(state_save(sdir, &s, &err), 0);
	{
		char *path = at("state/state.json"), text[4096];
		FILE *f = fopen(path, "r");
		size_t n;

		assert_non_null(f);
		n = fread(text, 1, sizeof(text) - 1, f);
		fclose(f);
		text[n] = '\0';
		assert_non_null(strstr(text, "\"phase\": \"migrating\""));
		f = fopen(path, "w");
		assert_non_null(f);
		fputs("{\"name\": \"c1\", \"target\": \"/t\", \"strategy\": \"datadir\", "
		      "\"lower\": \"/l\", \"upper\": \"/u\", \"work\": \"/w\", "
		      "\"phase\": \"half-done\"}", f);
		fclose(f);
		free(path);
	}
	assert_int_equal(state_load(sdir, &back, &err), -1);
	error_free(&err);
	free(sdir);
}

/* Every field written and read back as it was; the absent ones written as
 * null (source, lower, meta, cache) or left out (the store's, the fill's,
 * lower_args), as state.json has them; a state without a name is not
 * written. */
static void test_state_fields(void **state)
{
	char *args[] = { "--insecure", "--index", "/i", NULL };
	struct mount_state s = {
		.name = "c2", .target = "/t2", .strategy = "store",
		.source = "docker://r/x:1", .lower = "/run/l2", .shutdown_lower = true,
		.upper = "/u2", .work = "/w2", .meta = "/s/meta.erofs", .cache = "/c2",
		.store_root = "/s", .store = "/s/sha256-ab", .fill = "fanotify",
		.fill_reason = "asked", .lower_args = args,
		.phase = PHASE_LAZY, .lowerfs_pid = 7,
	}, bare = {
		.name = "c3", .target = "/t3", .strategy = "datadir",
		.lower = "/run/l3", .upper = "/u3", .work = "/w3", .phase = PHASE_LAZY,
	}, back;
	static const char *const null_keys[] = { "source", "meta", "cache" };
	static const char *const absent_keys[] = {
		"store_root", "store", "fill", "fill_reason", "fill_range_min", "lower_args",
	};
	struct error *err = NULL;
	char *sdir = at("state"), *path = at("state/state.json");
	json_t *doc;
	size_t i;

	(void)state;
	assert_int_equal(mkdir(sdir, 0700), 0);
	assert_int_equal(state_save(sdir, &s, &err), 0);
	assert_int_equal(state_load(sdir, &back, &err), 0);
	{
		const char *got[] = {
			back.name, back.target, back.strategy, back.source, back.lower,
			back.upper, back.work, back.meta, back.cache, back.store_root,
			back.store, back.fill, back.fill_reason,
		}, *want[] = {
			s.name, s.target, s.strategy, s.source, s.lower, s.upper, s.work,
			s.meta, s.cache, s.store_root, s.store, s.fill, s.fill_reason,
		};

		for (i = 0; i < sizeof(got) / sizeof(*got); i++)
			assert_string_equal(got[i], want[i]);
	}
	assert_false(back.own_lower);
	assert_true(back.shutdown_lower);
	assert_int_equal(back.phase, PHASE_LAZY);
	assert_int_equal(back.lowerfs_pid, 7);
	assert_int_equal(back.fill_range_min, 0);
	assert_non_null(back.lower_args);
	for (i = 0; args[i]; i++)
		assert_string_equal(back.lower_args[i], args[i]);
	assert_null(back.lower_args[i]);
	state_free(&back);

	assert_int_equal(state_save(sdir, &bare, &err), 0);
	doc = json_load_file(path, 0, NULL);
	assert_non_null(doc);
	for (i = 0; i < sizeof(null_keys) / sizeof(*null_keys); i++)
		assert_true(json_is_null(json_object_get(doc, null_keys[i])));
	for (i = 0; i < sizeof(absent_keys) / sizeof(*absent_keys); i++)
		assert_null(json_object_get(doc, absent_keys[i]));
	assert_string_equal(json_string_value(json_object_get(doc, "lower")), "/run/l3");
	json_decref(doc);
	assert_int_equal(state_load(sdir, &back, &err), 0);
	assert_null(back.source);
	assert_null(back.store);
	assert_null(back.lower_args);
	assert_string_equal(back.upper, "/u3");
	state_free(&back);

	/* no name: refused, and the state written before stays */
	bare.name = NULL;
	assert_int_equal(state_save(sdir, &bare, &err), -1);
	assert_non_null(err);
	error_free(&err);
	assert_int_equal(state_load(sdir, &back, &err), 0);
	assert_string_equal(back.name, "c3");
	state_free(&back);
	free(path);
	free(sdir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_meta_layer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_state_roundtrip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_state_fields, setup, teardown),
	};

	return cmocka_run_group_tests_name("ovlmig", tests, NULL, NULL);
}
