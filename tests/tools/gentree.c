// SPDX-License-Identifier: MIT
/*
 * gentree - fill a directory with a deterministic test tree holding every
 * inode type and piece of metadata that a faithful copy must preserve.
 *
 * Usage: gentree [--small] [--seed N] DIR
 *
 * File content comes from a PRNG seeded with --seed; names, modes, owners,
 * xattrs and timestamps are fixed, so one seed always gives the same tree.
 * Atimes lie after 2100: that exercises 64-bit times and keeps relatime
 * mounts from refreshing them when the tree is read (relatime never
 * updates an atime newer than mtime, ctime and "now - 1 day").
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <getopt.h>
#include <inttypes.h>
#include <linux/capability.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/xattr.h>
#include <unistd.h>

#define PROG "gentree"
#define CHUNK (1024 * 1024)
#define GIB (1024LL * 1024 * 1024)
#define DEEP_LEVELS 20

#define MTIME_BASE 1420070400LL	/* 2015-01-01 */
#define ATIME_BASE 4102444800LL	/* 2100-01-01 */

static const char *root;	/* DIR as given, for messages only */
static uint64_t rng_state;

/* Entries that own an inode, in creation order; their times are set last. */
static char **timed;
static size_t ntimed, timed_cap;
static unsigned long ncreated;

static void __attribute__((noreturn)) fail(const char *what, const char *path)
{
	fprintf(stderr, "%s: %s: %s/%s: %s\n", PROG, what, root, path,
		strerror(errno));
	exit(1);
}

static void __attribute__((noreturn)) out_of_memory(void)
{
	fprintf(stderr, "%s: out of memory\n", PROG);
	exit(1);
}

static char *xasprintf(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

static char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		out_of_memory();
	return s;
}

/* Count a new name; remember it if its times are ours to set. */
static void record(const char *path, bool owns_inode)
{
	char **grown;

	ncreated++;
	if (!owns_inode)
		return;
	if (ntimed == timed_cap) {
		timed_cap = timed_cap ? timed_cap * 2 : 1024;
		grown = realloc(timed, timed_cap * sizeof(*timed));
		if (!grown)
			out_of_memory();
		timed = grown;
	}
	timed[ntimed] = strdup(path);
	if (!timed[ntimed])
		out_of_memory();
	ntimed++;
}

/* splitmix64: tiny, any seed (even 0) gives a good stream. */
static uint64_t rng_next(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Little-endian bytes so the content does not depend on the host. */
static void rng_fill(unsigned char *buf, size_t len)
{
	uint64_t v;
	size_t i, n;

	for (i = 0; i < len; i += n) {
		v = htole64(rng_next());
		n = len - i < sizeof(v) ? len - i : sizeof(v);
		memcpy(buf + i, &v, n);
	}
}

static void pwrite_all(int fd, const unsigned char *buf, size_t len,
		       off_t off, const char *path)
{
	ssize_t w;

	while (len > 0) {
		w = pwrite(fd, buf, len, off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			fail("write", path);
		buf += w;
		len -= w;
		off += w;
	}
}

static void write_random(int fd, off_t off, off_t len, const char *path)
{
	static unsigned char buf[CHUNK];
	size_t n;

	while (len > 0) {
		n = len < CHUNK ? (size_t)len : CHUNK;
		rng_fill(buf, n);
		pwrite_all(fd, buf, n, off, path);
		off += n;
		len -= n;
	}
}

static int create_file(const char *path)
{
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		  0600);
	if (fd < 0)
		fail("create", path);
	return fd;
}

/* chown clears setuid/setgid bits, so it must come before chmod. */
static void finish_file(int fd, const char *path, mode_t mode,
			uid_t uid, gid_t gid)
{
	if (fchown(fd, uid, gid) < 0)
		fail("chown", path);
	if (fchmod(fd, mode) < 0)
		fail("chmod", path);
	if (close(fd) < 0)
		fail("close", path);
	record(path, true);
}

static void make_file(const char *path, off_t size, mode_t mode,
		      uid_t uid, gid_t gid)
{
	int fd = create_file(path);

	write_random(fd, 0, size, path);
	finish_file(fd, path, mode, uid, gid);
}

static void make_sparse(const char *path, off_t size)
{
	int fd = create_file(path);

	if (ftruncate(fd, size) < 0)
		fail("truncate", path);
	write_random(fd, 0, 4096, path);
	write_random(fd, size / 2, 4096, path);
	write_random(fd, size - 4096, 4096, path);
	finish_file(fd, path, 0644, 0, 0);
}

static void set_owner_mode(const char *path, mode_t mode, uid_t uid, gid_t gid)
{
	if (fchownat(AT_FDCWD, path, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
		fail("chown", path);
	if (fchmodat(AT_FDCWD, path, mode, 0) < 0)
		fail("chmod", path);
}

static void make_dir(const char *path, mode_t mode, uid_t uid, gid_t gid)
{
	if (mkdir(path, 0700) < 0)
		fail("mkdir", path);
	set_owner_mode(path, mode, uid, gid);
	record(path, true);
}

static void make_symlink(const char *target, const char *path,
			 uid_t uid, gid_t gid)
{
	if (symlink(target, path) < 0)
		fail("symlink", path);
	if (fchownat(AT_FDCWD, path, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
		fail("chown", path);
	record(path, true);
}

static void make_hardlink(const char *existing, const char *path)
{
	if (link(existing, path) < 0)
		fail("link", path);
	record(path, false);
}

static void make_node(const char *path, mode_t type, dev_t dev, mode_t mode,
		      uid_t uid, gid_t gid)
{
	if (mknod(path, type | 0600, dev) < 0)
		fail("mknod", path);
	set_owner_mode(path, mode, uid, gid);
	record(path, true);
}

/* A bound AF_UNIX socket leaves its inode behind after close. */
static void make_socket(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		fail("bind", path);
	}
	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		fail("socket", path);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0)
		fail("bind", path);
	if (close(fd) < 0)
		fail("close", path);
	set_owner_mode(path, 0755, 0, 0);
	record(path, true);
}

static void set_xattr(const char *path, const char *name,
		      const void *value, size_t len)
{
	if (lsetxattr(path, name, value, len, XATTR_CREATE) < 0) {
		fprintf(stderr, "%s: setxattr %s: %s/%s: %s\n", PROG, name,
			root, path, strerror(errno));
		exit(1);
	}
}

static void set_xattr_str(const char *path, const char *name,
			  const char *value)
{
	set_xattr(path, name, value, strlen(value));
}

static void build_files(bool small)
{
	static const off_t sizes[] = {
		0, 1, 4095, 4096, 4097, 1024 * 1024 + 3, 5 * 1024 * 1024 + 1234,
	};
	char *path;
	size_t i;

	make_dir("files", 0755, 0, 0);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		path = xasprintf("files/size-%jd", (intmax_t)sizes[i]);
		make_file(path, sizes[i], 0644, 0, 0);
		free(path);
	}
	make_file("files/mode-0000", 10, 0000, 0, 0);
	make_file("files/mode-0400", 10, 0400, 0, 0);
	make_file("files/mode-0711", 10, 0711, 0, 0);
	make_file("files/setuid", 100, 04755, 0, 0);
	make_file("files/setgid", 100, 02755, 0, 5);
	if (!small)
		make_sparse("files/sparse-2g", 2 * GIB);
}

/* Names that break naive quoting, plus one of NAME_MAX bytes. */
static void build_names(void)
{
	static const char *const names[] = {
		"names/with space", "names/new\nline", "names/tab\there",
		"names/back\\slash", "names/ctrl-\x01-\x7f",
		"names/utf8-\xc3\xa9", "names/latin1-\xe9",
		"names/-leading-dash", "names/trailing ", "names/key=value",
		"names/a-b", "names/a.b",
	};
	char longname[256];
	char *path;
	size_t i;

	make_dir("names", 0755, 0, 0);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		make_file(names[i], 3, 0644, 0, 0);
	/* "a" next to "a-b", "a.b": byte order differs from tree order */
	make_dir("names/a", 0755, 0, 0);
	make_file("names/a/b", 3, 0644, 0, 0);
	memset(longname, 'n', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	path = xasprintf("names/%s", longname);
	make_file(path, 3, 0644, 0, 0);
	free(path);
}

static void build_dirs(void)
{
	make_dir("dirs", 0755, 0, 0);
	make_dir("dirs/empty", 0755, 0, 0);
	make_dir("dirs/sticky", 01777, 0, 0);
	make_file("dirs/sticky/file", 5, 0666, 1000, 1000);
	make_dir("dirs/mode-0700", 0700, 0, 0);
	make_dir("dirs/mode-0555", 0555, 0, 0);
}

static void build_owners(void)
{
	make_dir("owners", 0755, 0, 0);
	make_file("owners/u1000-g1000", 20, 0644, 1000, 1000);
	make_file("owners/u65534-g65534", 20, 0640, 65534, 65534);
	make_file("owners/u0-g5", 20, 0664, 0, 5);
	make_dir("owners/dir-u1000", 0750, 1000, 1000);
	make_file("owners/dir-u1000/file", 20, 0600, 1000, 1000);
	make_dir("owners/dir-u65534", 0755, 65534, 65534);
	make_symlink("u1000-g1000", "owners/symlink-u1000", 1000, 1000);
}

/* A VFS_CAP_REVISION_2 capability: cap_net_bind_service=ep. */
static void set_capability(const char *path)
{
	struct vfs_cap_data cap;

	memset(&cap, 0, sizeof(cap));
	cap.magic_etc = htole32(VFS_CAP_REVISION_2 | VFS_CAP_FLAGS_EFFECTIVE);
	cap.data[0].permitted = htole32(1U << CAP_NET_BIND_SERVICE);
	set_xattr(path, "security.capability", &cap, XATTR_CAPS_SZ_2);
}

static void build_xattrs(void)
{
	static const unsigned char binary[] = { 0, 1, 2, 0x7f, 0x80, 0xff };
	unsigned char big[1000];

	make_dir("xattr", 0755, 0, 0);
	make_file("xattr/capability", 100, 0755, 0, 0);
	set_capability("xattr/capability");

	make_file("xattr/user-file", 10, 0644, 0, 0);
	set_xattr_str("xattr/user-file", "user.text", "hello world");
	set_xattr("xattr/user-file", "user.empty", "", 0);
	set_xattr("xattr/user-file", "user.binary", binary, sizeof(binary));
	rng_fill(big, sizeof(big));
	set_xattr("xattr/user-file", "user.big", big, sizeof(big));

	make_dir("xattr/user-dir", 0755, 0, 0);
	set_xattr_str("xattr/user-dir", "user.dir", "on a directory");

	/* The product must drop trusted.overlay.* but keep user.* */
	make_file("xattr/has-trusted-overlay", 10, 0644, 0, 0);
	set_xattr_str("xattr/has-trusted-overlay", "trusted.overlay.opaque",
		      "y");
	set_xattr_str("xattr/has-trusted-overlay", "trusted.overlay.redirect",
		      "/xattr/elsewhere-file");
	set_xattr_str("xattr/has-trusted-overlay", "user.keep", "kept");

	make_dir("xattr/dir", 0755, 0, 0);
	make_dir("xattr/dir/has-trusted-overlay", 0755, 0, 0);
	make_file("xattr/dir/has-trusted-overlay/inside", 10, 0644, 0, 0);
	set_xattr_str("xattr/dir/has-trusted-overlay",
		      "trusted.overlay.opaque", "y");
	set_xattr_str("xattr/dir/has-trusted-overlay",
		      "trusted.overlay.redirect", "/xattr/elsewhere-dir");
}

static void build_symlinks(void)
{
	/* 1000: long, yet within XFS's 1024-byte limit for symlink targets */
	char target[1001];

	make_dir("sym", 0755, 0, 0);
	make_symlink("../files/size-1", "sym/relative", 0, 0);
	make_symlink("/etc/passwd", "sym/absolute", 0, 0);
	make_symlink("does/not/exist", "sym/dangling", 0, 0);
	make_symlink("../dirs", "sym/to-dir", 0, 0);
	make_symlink("with space\nand newline", "sym/odd-target", 0, 0);
	/* a long target catches readlink buffers sized too small */
	memset(target, 'x', sizeof(target) - 1);
	target[sizeof(target) - 1] = '\0';
	make_symlink(target, "sym/long-target", 0, 0);
}

static void build_links(void)
{
	make_dir("links", 0755, 0, 0);
	make_dir("links/a", 0755, 0, 0);
	make_dir("links/b", 0755, 0, 0);
	make_file("links/a/three-1", 4097, 0644, 0, 0);
	make_hardlink("links/a/three-1", "links/b/three-2");
	make_hardlink("links/a/three-1", "links/three-3");
	make_file("links/two-1", 33, 0600, 1000, 1000);
	make_hardlink("links/two-1", "links/b/two-2");
}

static void build_special(void)
{
	make_dir("special", 0755, 0, 0);
	make_node("special/chr-1-3", S_IFCHR, makedev(1, 3), 0666, 0, 0);
	make_node("special/blk-7-200", S_IFBLK, makedev(7, 200), 0660, 0, 6);
	make_node("special/fifo", S_IFIFO, 0, 0644, 0, 0);
	make_node("special/fifo-u65534", S_IFIFO, 0, 0600, 65534, 65534);
	make_socket("special/socket");
}

static void build_big(int count)
{
	unsigned char buf[8];
	char *path;
	int i, fd;
	size_t len;

	make_dir("big", 0755, 0, 0);
	for (i = 0; i < count; i++) {
		path = xasprintf("big/f%05d", i);
		fd = create_file(path);
		len = 1 + rng_next() % sizeof(buf);
		rng_fill(buf, len);
		pwrite_all(fd, buf, len, 0, path);
		finish_file(fd, path, 0644, 0, 0);
		free(path);
	}
}

static void build_deep(void)
{
	char *path, *next;
	int i;

	path = xasprintf("deep");
	make_dir(path, 0755, 0, 0);
	for (i = 1; i <= DEEP_LEVELS; i++) {
		next = xasprintf("%s/d%02d", path, i);
		free(path);
		path = next;
		make_dir(path, 0755, 0, 0);
	}
	next = xasprintf("%s/leaf", path);
	make_file(next, 12, 0644, 0, 0);
	free(next);
	free(path);
}

/* Entry i gets a distinct nanosecond in both stamps (1000003 is prime). */
static void entry_times(size_t i, struct timespec ts[2])
{
	ts[0].tv_sec = ATIME_BASE + (time_t)i * 59;
	ts[0].tv_nsec = (i * 1000003 + 500000001) % 1000000000;
	ts[1].tv_sec = MTIME_BASE + (time_t)i * 61;
	ts[1].tv_nsec = (i * 1000003 + 1) % 1000000000;
}

/* Reverse creation order: each directory after everything inside it. */
static void set_times(void)
{
	struct timespec ts[2];
	size_t i;

	for (i = ntimed; i-- > 0;) {
		entry_times(i, ts);
		if (utimensat(AT_FDCWD, timed[i], ts, AT_SYMLINK_NOFOLLOW) < 0)
			fail("utimensat", timed[i]);
	}
}

/* Catch filesystems that clamp or round the times we just set. */
static void check_times(void)
{
	struct timespec ts[2];
	struct stat st;
	size_t i;

	for (i = 0; i < ntimed; i++) {
		entry_times(i, ts);
		if (lstat(timed[i], &st) < 0)
			fail("stat", timed[i]);
		if (st.st_atim.tv_sec != ts[0].tv_sec ||
		    st.st_atim.tv_nsec != ts[0].tv_nsec ||
		    st.st_mtim.tv_sec != ts[1].tv_sec ||
		    st.st_mtim.tv_nsec != ts[1].tv_nsec) {
			errno = ERANGE;
			fail("timestamps not kept", timed[i]);
		}
	}
}

static bool dir_is_empty(const char *path)
{
	struct dirent *de;
	bool empty = true;
	DIR *d;

	d = opendir(path);
	if (!d)
		return false;
	errno = 0;
	while (empty && (de = readdir(d)))
		empty = !strcmp(de->d_name, ".") || !strcmp(de->d_name, "..");
	if (errno)
		empty = false;
	closedir(d);
	return empty;
}

static void __attribute__((noreturn)) setup_fail(const char *what,
						  const char *path)
{
	fprintf(stderr, "%s: %s: %s: %s\n", PROG, what, path, strerror(errno));
	exit(2);
}

/* DIR must be new or empty: never mix generated and foreign content. */
static void prepare_root(const char *dir)
{
	if (mkdir(dir, 0755) < 0) {
		if (errno != EEXIST)
			setup_fail("mkdir", dir);
		if (!dir_is_empty(dir)) {
			fprintf(stderr,
				"%s: %s: exists and is not an empty directory\n",
				PROG, dir);
			exit(2);
		}
	}
	if (chdir(dir) < 0)
		setup_fail("chdir", dir);
	umask(0);
	set_owner_mode(".", 0755, 0, 0);
	ncreated--;	/* the root itself is not an entry we created */
	record(".", true);
}

static void __attribute__((noreturn)) usage(void)
{
	fprintf(stderr, "usage: %s [--small] [--seed N] DIR\n", PROG);
	exit(2);
}

static uint64_t parse_seed(const char *arg)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(arg, &end, 0);
	if (errno || end == arg || *end || arg[0] == '-') {
		fprintf(stderr, "%s: bad seed: %s\n", PROG, arg);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "small", no_argument, NULL, 's' },
		{ "seed", required_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t seed = 1;
	bool small = false;
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 's')
			small = true;
		else if (c == 'S')
			seed = parse_seed(optarg);
		else
			usage();
	}
	if (optind != argc - 1)
		usage();
	root = argv[optind];
	rng_state = seed;

	prepare_root(root);
	build_files(small);
	build_names();
	build_dirs();
	build_owners();
	build_xattrs();
	build_symlinks();
	build_links();
	build_special();
	build_big(small ? 100 : 10000);
	build_deep();
	set_times();
	check_times();

	printf("gentree: created %lu entries in %s (seed %" PRIu64 "%s)\n",
	       ncreated, root, seed, small ? ", small" : "");
	if (fflush(stdout) == EOF) {
		fprintf(stderr, "%s: write: stdout: %s\n", PROG,
			strerror(errno));
		return 1;
	}
	return 0;
}
