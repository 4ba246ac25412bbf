// SPDX-License-Identifier: MIT
/*
 * dir:PATH — a local directory taken as the image. Its metadata is
 * indexed once at start; later changes to the directory are not seen.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <search.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "../common/fsutil.h"
#include "../common/util.h"
#include "copy.h"
#include "source.h"

struct dir_source {
	struct source base;
	char *root;
	int rootfd;
};

/* (st_dev, st_ino) -> node, to find hardlinks while walking. */
struct inode_key {
	dev_t dev;
	ino_t ino;
	uint32_t node;
};

struct walk {
	struct dir_source *ds;
	struct image *img;
	void *inodes;		/* tsearch tree of struct inode_key */
};

static struct dir_source *to_dir(struct source *s)
{
	return (struct dir_source *)s;
}

static int dir_open(const char *arg, const struct source_opts *opts,
		    struct source **out, struct error **err)
{
	struct dir_source *ds;
	struct stat st;
	int fd;

	(void)opts;
	fd = open(arg, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return error_set(err, errno, "source directory %s", arg);
	if (fstat(fd, &st) < 0) {
		error_set(err, errno, "stat %s", arg);
		close(fd);
		return -1;
	}
	ds = calloc(1, sizeof(*ds));
	if (!ds || !(ds->root = strdup(arg))) {
		free(ds);
		close(fd);
		return error_set(err, ENOMEM, "source directory %s", arg);
	}
	ds->rootfd = fd;
	*out = &ds->base;
	return 0;
}

static int inode_cmp(const void *a, const void *b)
{
	const struct inode_key *x = a, *y = b;

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	if (x->ino != y->ino)
		return x->ino < y->ino ? -1 : 1;
	return 0;
}

static void attr_from_stat(struct image_attr *a, const struct stat *st)
{
	memset(a, 0, sizeof(*a));
	a->mode = st->st_mode;
	a->uid = st->st_uid;
	a->gid = st->st_gid;
	a->size = (uint64_t)st->st_size;
	a->blocks = (uint64_t)st->st_blocks;
	a->rdev = st->st_rdev;
	a->atime = st->st_atim;
	a->mtime = st->st_mtim;
	a->ctime = st->st_ctim;
}

#ifndef SYS_getxattrat		/* Linux 6.13; one number on every architecture */
#define SYS_getxattrat 464
#endif
#ifndef SYS_listxattrat
#define SYS_listxattrat 465
#endif

struct xattr_at_args {		/* the kernel's struct xattr_args */
	uint64_t value;
	uint32_t size;
	uint32_t flags;
};

/*
 * The xattrs of NAME in DIRFD, not followed. listxattrat/getxattrat
 * where the kernel has them: one lookup of NAME in DIRFD each. Else
 * through /proc/self/fd/DIRFD/NAME (no path length limit either), which
 * costs a walk through /proc every call: half of a dir: image's indexing.
 */
struct xattr_at {
	int dirfd;
	const char *name;
	char *proc;		/* the /proc path, made when first needed */
};

static _Atomic int xattr_at_works = -1;	/* unknown, then 1 or 0 (ENOSYS, seccomp) */

static bool at_unavailable(void)
{
	if (errno != ENOSYS && errno != EPERM)
		return false;
	xattr_at_works = 0;
	return true;
}

static const char *xattr_proc(struct xattr_at *x)
{
	if (!x->proc && asprintf(&x->proc, "/proc/self/fd/%d/%s", x->dirfd, x->name) < 0) {
		x->proc = NULL;
		errno = ENOMEM;
	}
	return x->proc;
}

static ssize_t xattr_list(struct xattr_at *x, char *list, size_t size)
{
	const char *path;

	if (xattr_at_works != 0) {
		long n = syscall(SYS_listxattrat, x->dirfd, x->name,
				 AT_SYMLINK_NOFOLLOW, list, size);

		if (n >= 0 || !at_unavailable()) {
			if (n >= 0)
				xattr_at_works = 1;
			return (ssize_t)n;
		}
	}
	path = xattr_proc(x);
	return path ? llistxattr(path, list, size) : -1;
}

static ssize_t xattr_get(struct xattr_at *x, const char *attr, void *value,
			 size_t size)
{
	struct xattr_at_args args = { .value = (uintptr_t)value, .size = (uint32_t)size };
	const char *path;

	if (xattr_at_works != 0 && size <= UINT32_MAX) {
		long n = syscall(SYS_getxattrat, x->dirfd, x->name, AT_SYMLINK_NOFOLLOW,
				 attr, &args, sizeof(args));

		if (n >= 0 || !at_unavailable())
			return (ssize_t)n;
	}
	path = xattr_proc(x);
	return path ? lgetxattr(path, attr, value, size) : -1;
}

static int index_xattrs(struct walk *w, int dirfd, const char *name,
			uint32_t node, const char *rel, struct error **err)
{
	struct xattr_at x = { .dirfd = dirfd, .name = name };
	char *names = NULL, *p;
	void *value = NULL;
	ssize_t len;
	int ret = -1;

	len = xattr_list(&x, NULL, 0);
	if (len < 0 && (errno == ENOTSUP || errno == EOPNOTSUPP)) {
		ret = 0;
		goto out;
	}
	if (len < 0) {
		error_set(err, errno, "list xattrs of %s", rel);
		goto out;
	}
	if (len == 0) {
		ret = 0;
		goto out;
	}
	names = malloc((size_t)len);
	if (!names || (len = xattr_list(&x, names, (size_t)len)) < 0) {
		error_set(err, names ? errno : ENOMEM, "list xattrs of %s", rel);
		goto out;
	}
	for (p = names; p < names + len; p += strlen(p) + 1) {
		ssize_t vlen = xattr_get(&x, p, NULL, 0);

		if (vlen < 0) {
			if (errno == ENODATA)
				continue;
			error_set(err, errno, "get xattr %s of %s", p, rel);
			goto out;
		}
		free(value);
		value = malloc(vlen ? (size_t)vlen : 1);
		if (!value) {
			error_set(err, ENOMEM, "get xattr %s of %s", p, rel);
			goto out;
		}
		vlen = xattr_get(&x, p, value, (size_t)vlen);
		if (vlen < 0) {
			error_set(err, errno, "get xattr %s of %s", p, rel);
			goto out;
		}
		if (image_add_xattr(w->img, node, p, value, (size_t)vlen, err) < 0) {
			error_wrap(err, "%s", rel);
			goto out;
		}
	}
	ret = 0;
out:
	free(value);
	free(names);
	free(x.proc);
	return ret;
}

static int walk_dir(struct walk *w, int dirfd, uint32_t dir, const char *rel,
		    struct error **err);

static int walk_entry(struct walk *w, int dirfd, uint32_t dir,
		      const char *name, const char *rel, struct error **err)
{
	struct image_attr a;
	struct inode_key key, **found;
	char *link = NULL;
	struct stat st;
	uint32_t node;
	int ret = -1;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return error_set(err, errno, "stat /%s", rel);
	if (!S_ISDIR(st.st_mode) && st.st_nlink > 1) {
		key = (struct inode_key){ st.st_dev, st.st_ino, 0 };
		found = tfind(&key, &w->inodes, inode_cmp);
		if (found)
			return image_link(w->img, dir, name, (*found)->node, err);
	}
	attr_from_stat(&a, &st);
	a.src_ref = rel;
	if (S_ISLNK(st.st_mode)) {
		link = malloc((size_t)st.st_size + 1);
		if (!link)
			return error_set(err, ENOMEM, "readlink /%s", rel);
		ssize_t n = readlinkat(dirfd, name, link, (size_t)st.st_size + 1);

		if (n < 0 || n > st.st_size) {
			error_set(err, n < 0 ? errno : EAGAIN, "readlink /%s", rel);
			goto out;
		}
		link[n] = '\0';
		a.link = link;
	}
	if (image_add(w->img, dir, name, &a, &node, err) < 0)
		goto out;
	if (!S_ISDIR(st.st_mode) && st.st_nlink > 1) {
		struct inode_key *k = malloc(sizeof(*k));

		if (!k) {
			error_set(err, ENOMEM, "index /%s", rel);
			goto out;
		}
		*k = (struct inode_key){ st.st_dev, st.st_ino, node };
		if (!tsearch(k, &w->inodes, inode_cmp)) {
			free(k);
			error_set(err, ENOMEM, "index /%s", rel);
			goto out;
		}
	}
	if (index_xattrs(w, dirfd, name, node, rel, err) < 0)
		goto out;
	if (S_ISDIR(st.st_mode)) {
		int fd = openat(dirfd, name,
				O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

		if (fd < 0) {
			error_set(err, errno, "open directory /%s", rel);
			goto out;
		}
		ret = walk_dir(w, fd, node, rel, err);
		close(fd);
		goto out;
	}
	ret = 0;
out:
	free(link);
	return ret;
}

static int walk_dir(struct walk *w, int dirfd, uint32_t dir, const char *rel,
		    struct error **err)
{
	char **names = NULL;
	size_t n = 0, i;
	int ret = 0;

	if (dir_names(dirfd, rel, &names, &n, err) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		char *child_rel = path_join(rel, names[i]);

		if (!child_rel) {
			ret = error_set(err, ENOMEM, "index /%s", rel);
			break;
		}
		ret = walk_entry(w, dirfd, dir, names[i], child_rel, err);
		free(child_rel);
		if (ret < 0)
			break;
	}
	dir_names_free(names, n);
	return ret;
}

static int dir_index(struct source *s, struct image *img, struct error **err)
{
	struct dir_source *ds = to_dir(s);
	struct walk w = { .ds = ds, .img = img, .inodes = NULL };
	struct image_attr a;
	struct stat st;
	int ret;

	if (fstat(ds->rootfd, &st) < 0)
		return error_set(err, errno, "stat %s", ds->root);
	attr_from_stat(&a, &st);
	a.src_ref = "";
	if (image_add_root(img, &a, err) < 0)
		return -1;
	ret = index_xattrs(&w, ds->rootfd, ".", 0, "/", err);
	if (ret == 0)
		ret = walk_dir(&w, ds->rootfd, 0, "", err);
	tdestroy(w.inodes, free);
	if (ret < 0)
		return error_wrap(err, "index %s", ds->root);
	return 0;
}

/* Open a regular file of the image without leaving the source directory. */
static int open_beneath(struct dir_source *ds, const char *rel,
			struct error **err)
{
	struct open_how how = {
		.flags = O_RDONLY | O_CLOEXEC | O_NOFOLLOW,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
			   RESOLVE_NO_MAGICLINKS,
	};
	long fd = syscall(SYS_openat2, ds->rootfd, rel, &how, sizeof(how));

	if (fd < 0)
		return error_set(err, errno, "open %s/%s", ds->root, rel);
	return (int)fd;
}

static int dir_open_local(struct source *s, const struct image *img,
			  uint32_t node, struct error **err)
{
	return open_beneath(to_dir(s), img->nodes[node].src_ref, err);
}

static int dir_fetch(struct source *s, const struct image *img, uint32_t node,
		     int fd, struct error **err)
{
	const struct image_node *n = &img->nodes[node];
	int src = open_beneath(to_dir(s), n->src_ref, err);
	int ret;

	if (src < 0)
		return error_wrap(err, "fetch %s", n->src_ref);
	link_round_trip(&s->link);
	ret = copy_sparse(src, fd, n->size, &s->link, err);
	close(src);
	if (ret < 0)
		return error_wrap(err, "fetch %s", n->src_ref);
	return 0;
}

static void dir_close(struct source *s)
{
	struct dir_source *ds = to_dir(s);

	close(ds->rootfd);
	free(ds->root);
	free(ds);
}

const struct source_ops source_dir_ops = {
	.scheme = "dir",
	.help = "PATH        a local directory taken as the image (indexed once at start)",
	.open = dir_open,
	.index = dir_index,
	.fetch = dir_fetch,
	.open_local = dir_open_local,
	.close = dir_close,
};
