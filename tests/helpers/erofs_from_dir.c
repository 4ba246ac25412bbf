// SPDX-License-Identifier: MIT
/*
 * erofs_from_dir - write an EROFS image of a directory tree through the
 * erofs/ library, for the tests to mount and compare with the tree.
 *
 * Usage: erofs_from_dir [--metacopy] [--shuffle] SRC IMAGE
 *
 * Every entry, its owner, mode, mtime, xattrs and hardlinks are copied.
 * A regular file's data is copied too, unless it is all hole (then it is
 * written as a hole of its size). --metacopy writes regular files as the
 * overlay's metadata layer does: no data, trusted.overlay.metacopy and
 * trusted.overlay.redirect=/PATH (the source's own trusted.overlay.* are
 * dropped). --shuffle adds the entries in reverse, children before their
 * parents, to exercise adding in any order.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <search.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <dirent.h>
#include <unistd.h>

#include "../../erofs/erofs_writer.h"

#define PROG "erofs_from_dir"
#define DATA_MAX (256u << 20)

struct item {
	struct erofs_entry e;
	struct erofs_xattr *xattrs;
	void *data;
	char *name, *target;
};

static struct item *items;
static size_t nitems, items_cap;
static bool metacopy, shuffle;
static void *inodes;	/* tsearch tree of struct seen */

struct seen {
	dev_t dev;
	ino_t ino;
	uint32_t index;
};

static void __attribute__((noreturn)) die(const char *what, const char *path)
{
	fprintf(stderr, "%s: %s %s: %s\n", PROG, what, path, strerror(errno));
	exit(1);
}

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		die("allocate", "memory");
	return p;
}

static int seen_cmp(const void *a, const void *b)
{
	const struct seen *x = a, *y = b;

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	if (x->ino != y->ino)
		return x->ino < y->ino ? -1 : 1;
	return 0;
}

static struct erofs_xattr *read_xattrs(const char *path, size_t *count)
{
	struct erofs_xattr *xs;
	ssize_t len = llistxattr(path, NULL, 0);
	char *names, *n;
	size_t k = 0;

	if (len < 0)
		die("listxattr", path);
	names = xmalloc((size_t)len + 1);
	len = llistxattr(path, names, (size_t)len);
	if (len < 0)
		die("listxattr", path);
	xs = xmalloc(((size_t)len + 2) * sizeof(*xs));
	for (n = names; n < names + len; n += strlen(n) + 1) {
		ssize_t size;
		void *value;

		if (metacopy && !strncmp(n, "trusted.overlay.", 16))
			continue;
		size = lgetxattr(path, n, NULL, 0);
		if (size < 0)
			die("getxattr", path);
		value = xmalloc((size_t)size);
		size = lgetxattr(path, n, value, (size_t)size);
		if (size < 0)
			die("getxattr", path);
		xs[k].name = strdup(n);
		xs[k].value = value;
		xs[k].size = (size_t)size;
		if (!xs[k].name)
			die("allocate", "memory");
		k++;
	}
	free(names);
	*count = k;
	return xs;
}

/* The file's data, or NULL when it has none (all hole). */
static void *read_data(const char *path, uint64_t size)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	unsigned char *buf;
	size_t done = 0;

	if (fd < 0)
		die("open", path);
	if (lseek(fd, 0, SEEK_DATA) < 0) {
		if (errno != ENXIO)
			die("seek", path);
		close(fd);
		return NULL;
	}
	if (size > DATA_MAX) {
		errno = EFBIG;
		die("read", path);
	}
	buf = xmalloc(size);
	while (done < size) {
		ssize_t n = pread(fd, buf + done, size - done, (off_t)done);

		if (n <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			if (n == 0)
				errno = EIO;
			die("read", path);
		}
		done += (size_t)n;
	}
	close(fd);
	return buf;
}

static void add_redirect(struct item *it, const char *rel)
{
	struct erofs_xattr *xs = it->xattrs;
	char *redirect;

	if (asprintf(&redirect, "/%s", rel) < 0)
		die("allocate", "memory");
	xs[it->e.nxattrs++] = (struct erofs_xattr){ strdup("trusted.overlay.metacopy"), "", 0 };
	xs[it->e.nxattrs++] = (struct erofs_xattr){ strdup("trusted.overlay.redirect"),
						     redirect, strlen(redirect) };
}

static uint32_t new_item(void)
{
	if (nitems == items_cap) {
		items_cap = items_cap ? items_cap * 2 : 1024;
		items = realloc(items, items_cap * sizeof(*items));
		if (!items)
			die("allocate", "memory");
	}
	memset(&items[nitems], 0, sizeof(*items));
	return (uint32_t)nitems++;
}

static void walk(const char *path, const char *rel, uint32_t parent, const char *name);

static void walk_dir(const char *path, const char *rel, uint32_t self)
{
	DIR *d = opendir(path);
	struct dirent *de;

	if (!d)
		die("opendir", path);
	while ((errno = 0, de = readdir(d))) {
		char *child, *child_rel;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (asprintf(&child, "%s/%s", path, de->d_name) < 0 ||
		    asprintf(&child_rel, "%s%s%s", rel, *rel ? "/" : "", de->d_name) < 0)
			die("allocate", "memory");
		walk(child, child_rel, self, de->d_name);
		free(child);
		free(child_rel);
	}
	if (errno)
		die("readdir", path);
	closedir(d);
}

static void walk(const char *path, const char *rel, uint32_t parent, const char *name)
{
	uint32_t idx = new_item();
	struct item *it = &items[idx];
	struct stat st;

	if (lstat(path, &st) < 0)
		die("stat", path);
	it->name = strdup(name);
	if (!it->name)
		die("allocate", "memory");
	it->e.parent = parent;
	it->e.hardlink = EROFS_NO_LINK;
	if (!S_ISDIR(st.st_mode) && st.st_nlink > 1) {
		struct seen *key = xmalloc(sizeof(*key)), **found;

		*key = (struct seen){ st.st_dev, st.st_ino, idx };
		found = tsearch(key, &inodes, seen_cmp);
		if (!found)
			die("allocate", "memory");
		if (*found != key) {
			it->e.hardlink = (*found)->index;
			free(key);
			return;
		}
	}
	it->e.mode = st.st_mode;
	it->e.uid = st.st_uid;
	it->e.gid = st.st_gid;
	it->e.mtime_sec = st.st_mtim.tv_sec;
	it->e.mtime_nsec = (uint32_t)st.st_mtim.tv_nsec;
	it->e.rdev = st.st_rdev;
	it->xattrs = read_xattrs(path, &it->e.nxattrs);
	if (S_ISREG(st.st_mode)) {
		it->e.size = (uint64_t)st.st_size;
		if (metacopy)
			add_redirect(it, rel);
		else if (st.st_size)
			it->data = read_data(path, it->e.size);
	} else if (S_ISLNK(st.st_mode)) {
		it->target = xmalloc((size_t)st.st_size + 1);
		ssize_t n = readlink(path, it->target, (size_t)st.st_size + 1);

		if (n < 0 || n > st.st_size)
			die("readlink", path);
		it->target[n] = '\0';
	} else if (S_ISDIR(st.st_mode)) {
		walk_dir(path, rel, idx);
	}
}

static void __attribute__((noreturn)) usage(void)
{
	fprintf(stderr, "usage: %s [--metacopy] [--shuffle] SRC IMAGE\n", PROG);
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "metacopy", no_argument, NULL, 'm' },
		{ "shuffle", no_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	struct erofs_writer *w = NULL;
	struct error *err = NULL;
	uint32_t *index_of = NULL, next = 0;
	size_t i, k, pass;
	int c, fd;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'm')
			metacopy = true;
		else if (c == 's')
			shuffle = true;
		else
			usage();
	}
	if (optind != argc - 2)
		usage();
	walk(argv[optind], "", EROFS_NO_PARENT, "");
	if (erofs_writer_new(&w, &err) < 0)
		goto fail;
	/*
	 * Reversed, an entry's index is not its walk position: map parents
	 * and hardlink targets. A hardlink must still follow its target, so
	 * the names of hardlinked inodes are added in walk order at the end.
	 */
	index_of = xmalloc(nitems * sizeof(*index_of));

	for (k = 0; k < nitems; k++) {
		i = shuffle ? nitems - 1 - k : k;
		if (shuffle && items[i].e.hardlink != EROFS_NO_LINK)
			continue;
		index_of[i] = next++;
	}
	for (i = 0; shuffle && i < nitems; i++)
		if (items[i].e.hardlink != EROFS_NO_LINK)
			index_of[i] = next++;
	for (pass = 0; pass < (shuffle ? 2 : 1); pass++) {
		for (k = 0; k < nitems; k++) {
			struct item *it;
			struct erofs_entry e;
			uint32_t got;

			i = shuffle && pass == 0 ? nitems - 1 - k : k;
			it = &items[i];
			if (shuffle && (pass == 0) != (it->e.hardlink == EROFS_NO_LINK))
				continue;
			e = it->e;
			e.name = it->name;
			e.symlink = it->target;
			e.data = it->data;
			e.xattrs = it->xattrs;
			if (e.parent != EROFS_NO_PARENT)
				e.parent = index_of[e.parent];
			if (e.hardlink != EROFS_NO_LINK)
				e.hardlink = index_of[e.hardlink];
			if (erofs_writer_add(w, &e, &got, &err) < 0)
				goto fail;
			if (got != index_of[i]) {
				fprintf(stderr, "%s: entry %zu got index %u, not %u\n",
					PROG, i, got, index_of[i]);
				goto fail;
			}
		}
	}
	fd = open(argv[optind + 1], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		die("create", argv[optind + 1]);
	if (erofs_writer_write(w, fd, &err) < 0)
		goto fail;
	if (close(fd) < 0)
		die("close", argv[optind + 1]);
	printf("%s: %zu entries\n", PROG, nitems);
	erofs_writer_free(w);
	free(index_of);
	return 0;
fail:
	error_report(&err, PROG, stderr);
	erofs_writer_free(w);
	free(index_of);
	return 1;
}
