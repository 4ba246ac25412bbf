// SPDX-License-Identifier: MIT
/*
 * erofs_bench_tree - the metadata layer of a synthetic image of N
 * entries, built either as an EROFS image through erofs/ or as a
 * directory tree the way ovlmig/meta.c builds one today (create, chown,
 * chmod, xattrs, times per entry), for scripts/bench/erofs_meta.sh.
 *
 * Usage: erofs_bench_tree erofs|dir N OUT
 *
 * The image: a tree of fan-out 50 (about N/50 directories), regular
 * files as metacopy files (size, trusted.overlay.metacopy and .redirect),
 * every 97th entry a symlink, every 211th a setuid file with a
 * capability, every 10th its own mtime, every 1000th a uid > 65535.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "../../erofs/erofs_writer.h"

#define PROG "erofs_bench_tree"
#define FANOUT 50

static const char cap[20] = { 0, 0, 0, 2, 0, 4 };	/* cap_net_bind_service */
static uint32_t count;
static char **paths;	/* relative path of each entry, "" for the root */

struct desc {
	char name[16];
	mode_t mode;
	uint32_t uid;
	struct timespec mtime;
	uint64_t size;
	bool capability;
};

static void __attribute__((noreturn)) die(const char *what, const char *path)
{
	fprintf(stderr, "%s: %s %s: %s\n", PROG, what, path, strerror(errno));
	exit(1);
}

static void describe(uint32_t i, struct desc *d)
{
	memset(d, 0, sizeof(*d));
	snprintf(d->name, sizeof(d->name), "e%u", i);
	d->mtime = (struct timespec){ 1700000000, 0 };
	if (i % 10 == 0)
		d->mtime = (struct timespec){ 1600000000 + i, i };
	if (i % 1000 == 0)
		d->uid = 100000 + i;
	if (i == 0 || (uint64_t)i * FANOUT + 1 < count)
		d->mode = S_IFDIR | 0755;
	else if (i % 97 == 0)
		d->mode = S_IFLNK | 0777;
	else if (i % 211 == 0) {
		d->mode = S_IFREG | 04755;
		d->capability = true;
		d->size = 12345;
	} else {
		d->mode = S_IFREG | 0644;
		d->size = (uint64_t)i * 37 % (1 << 20);
	}
}

static uint32_t parent_of(uint32_t i)
{
	return (i - 1) / FANOUT;
}

static void make_paths(void)
{
	uint32_t i;

	paths = calloc(count, sizeof(*paths));
	if (!paths || !(paths[0] = strdup("")))
		die("allocate", "paths");
	for (i = 1; i < count; i++) {
		const char *p = paths[parent_of(i)];

		if (asprintf(&paths[i], "%s%se%u", p, *p ? "/" : "", i) < 0)
			die("allocate", "paths");
	}
}

static void build_erofs(const char *out)
{
	struct erofs_writer *w = NULL;
	struct error *err = NULL;
	uint32_t i;
	int fd;

	if (erofs_writer_new(&w, &err) < 0)
		goto fail;
	for (i = 0; i < count; i++) {
		struct erofs_xattr x[3];
		struct desc d;
		char redirect[4200];
		struct erofs_entry e;
		size_t n = 0;

		describe(i, &d);
		e = (struct erofs_entry){
			.parent = i ? parent_of(i) : EROFS_NO_PARENT,
			.name = i ? d.name : "", .hardlink = EROFS_NO_LINK,
			.mode = d.mode, .uid = d.uid, .gid = d.uid,
			.mtime_sec = d.mtime.tv_sec, .mtime_nsec = (uint32_t)d.mtime.tv_nsec,
			.symlink = S_ISLNK(d.mode) ? "../target" : NULL,
		};
		if (S_ISREG(d.mode)) {
			snprintf(redirect, sizeof(redirect), "/%s", paths[i]);
			e.size = d.size;
			x[n++] = (struct erofs_xattr){ "trusted.overlay.metacopy", "", 0 };
			x[n++] = (struct erofs_xattr){ "trusted.overlay.redirect", redirect,
						       strlen(redirect) };
			if (d.capability)
				x[n++] = (struct erofs_xattr){ "security.capability", cap, sizeof(cap) };
		}
		e.xattrs = x;
		e.nxattrs = n;
		if (erofs_writer_add(w, &e, NULL, &err) < 0)
			goto fail;
	}
	fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		die("create", out);
	if (erofs_writer_write(w, fd, &err) < 0)
		goto fail;
	if (close(fd) < 0)
		die("close", out);
	erofs_writer_free(w);
	return;
fail:
	error_report(&err, PROG, stderr);
	exit(1);
}

/* As meta.c: owner, then mode, then xattrs (chown clears setuid and caps), times last. */
static void apply_attrs(int dirfd, const struct desc *d, uint32_t i)
{
	struct timespec ts[2] = { d->mtime, d->mtime };
	char proc[64];

	if (fchownat(dirfd, d->name, d->uid, d->uid, AT_SYMLINK_NOFOLLOW) < 0)
		die("chown", paths[i]);
	if (!S_ISLNK(d->mode) && fchmodat(dirfd, d->name, d->mode & 07777, 0) < 0)
		die("chmod", paths[i]);
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d/%s", dirfd, d->name);
	if (d->capability && lsetxattr(proc, "security.capability", cap, sizeof(cap), 0) < 0)
		die("setxattr", paths[i]);
	if (utimensat(dirfd, d->name, ts, AT_SYMLINK_NOFOLLOW) < 0)
		die("utimes", paths[i]);
}

static void build_dir(int dirfd, uint32_t dir)
{
	uint64_t first = (uint64_t)dir * FANOUT + 1, c;

	for (c = first; c < first + FANOUT && c < count; c++) {
		uint32_t i = (uint32_t)c;
		char redirect[4200];
		struct desc d;
		int fd;

		describe(i, &d);
		if (S_ISDIR(d.mode)) {
			if (mkdirat(dirfd, d.name, 0700) < 0)
				die("mkdir", paths[i]);
			fd = openat(dirfd, d.name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (fd < 0)
				die("open", paths[i]);
			build_dir(fd, i);
			close(fd);
		} else if (S_ISLNK(d.mode)) {
			if (symlinkat("../target", dirfd, d.name) < 0)
				die("symlink", paths[i]);
		} else {
			fd = openat(dirfd, d.name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
			if (fd < 0)
				die("create", paths[i]);
			snprintf(redirect, sizeof(redirect), "/%s", paths[i]);
			if (ftruncate(fd, (off_t)d.size) < 0 ||
			    fsetxattr(fd, "trusted.overlay.metacopy", "", 0, 0) < 0 ||
			    fsetxattr(fd, "trusted.overlay.redirect", redirect, strlen(redirect), 0) < 0)
				die("metacopy", paths[i]);
			close(fd);
		}
		apply_attrs(dirfd, &d, i);
	}
}

int main(int argc, char **argv)
{
	char *end;
	int fd;

	if (argc != 4 || (strcmp(argv[1], "erofs") && strcmp(argv[1], "dir"))) {
		fprintf(stderr, "usage: %s erofs|dir N OUT\n", PROG);
		return 2;
	}
	errno = 0;
	count = (uint32_t)strtoul(argv[2], &end, 10);
	if (errno || *end || count < 1 || count > 10000000) {
		fprintf(stderr, "%s: N is 1..10000000\n", PROG);
		return 2;
	}
	make_paths();
	if (!strcmp(argv[1], "erofs")) {
		build_erofs(argv[3]);
	} else {
		if (mkdir(argv[3], 0700) < 0)
			die("mkdir", argv[3]);
		fd = open(argv[3], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			die("open", argv[3]);
		build_dir(fd, 0);
		close(fd);
	}
	for (uint32_t i = 0; i < count; i++)
		free(paths[i]);
	free(paths);
	return 0;
}
