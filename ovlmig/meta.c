// SPDX-License-Identifier: MIT
#include "meta.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "../common/util.h"

struct builder {
	const struct image *img;
	int rootfd;
	char **made;		/* node -> META path of its first name */
};

/*
 * Owner, then mode, then xattrs: chown clears setuid/setgid and
 * security.capability, so those must come after it. Times last.
 */
static int apply_attrs(struct builder *b, int dirfd, const char *name,
		       uint32_t idx, const char *rel, struct error **err)
{
	const struct image_node *n = &b->img->nodes[idx];
	struct timespec ts[2] = { n->atime, n->mtime };
	char *proc = NULL;
	uint32_t i;
	int ret = -1;

	if (fchownat(dirfd, name, n->uid, n->gid, AT_SYMLINK_NOFOLLOW) < 0)
		return error_set(err, errno, "chown /%s", rel);
	if (!S_ISLNK(n->mode) && fchmodat(dirfd, name, n->mode & 07777, 0) < 0)
		return error_set(err, errno, "chmod /%s", rel);
	if (asprintf(&proc, "/proc/self/fd/%d/%s", dirfd, name) < 0)
		return error_set(err, ENOMEM, "xattrs of /%s", rel);
	for (i = 0; i < n->nxattrs; i++) {
		const struct image_xattr *x = &n->xattrs[i];

		if (lsetxattr(proc, x->name, x->value, x->size, 0) < 0) {
			error_set(err, errno, "set xattr %s on /%s", x->name, rel);
			goto out;
		}
	}
	if (utimensat(dirfd, name, ts, AT_SYMLINK_NOFOLLOW) < 0) {
		error_set(err, errno, "set times of /%s", rel);
		goto out;
	}
	ret = 0;
out:
	free(proc);
	return ret;
}

static int make_regular(int dirfd, const char *name, const struct image_node *n,
			const char *rel, struct error **err)
{
	char *redirect;
	int fd, ret = -1;

	fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC |
		    O_NOFOLLOW, 0600);
	if (fd < 0)
		return error_set(err, errno, "create /%s", rel);
	if (asprintf(&redirect, "/%s", rel) < 0) {
		close(fd);
		return error_set(err, ENOMEM, "create /%s", rel);
	}
	if (ftruncate(fd, (off_t)n->size) < 0)
		error_set(err, errno, "size /%s", rel);
	else if (fsetxattr(fd, "trusted.overlay.metacopy", "", 0, 0) < 0 ||
		 fsetxattr(fd, "trusted.overlay.redirect", redirect,
			   strlen(redirect), 0) < 0)
		error_set(err, errno, "mark /%s as metadata-only", rel);
	else
		ret = 0;
	free(redirect);
	close(fd);
	return ret;
}

static int build_dir(struct builder *b, int dirfd, uint32_t dir,
		     const char *rel, struct error **err);

static int build_entry(struct builder *b, int dirfd, const char *name,
		       uint32_t idx, const char *rel, struct error **err)
{
	const struct image_node *n = &b->img->nodes[idx];
	int ret, fd;

	if (b->made[idx]) {	/* another name of a file already made */
		if (linkat(b->rootfd, b->made[idx], dirfd, name, 0) < 0)
			return error_set(err, errno, "hardlink /%s to /%s", rel,
					 b->made[idx]);
		return 0;
	}
	switch (n->mode & S_IFMT) {
	case S_IFDIR:
		if (mkdirat(dirfd, name, 0700) < 0)
			return error_set(err, errno, "mkdir /%s", rel);
		fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
			    O_CLOEXEC);
		if (fd < 0)
			return error_set(err, errno, "open /%s", rel);
		ret = build_dir(b, fd, idx, rel, err);
		close(fd);
		if (ret < 0)
			return -1;
		break;
	case S_IFREG:
		if (make_regular(dirfd, name, n, rel, err) < 0)
			return -1;
		break;
	case S_IFLNK:
		if (symlinkat(n->link, dirfd, name) < 0)
			return error_set(err, errno, "symlink /%s", rel);
		break;
	default:	/* devices, fifos, sockets */
		if (mknodat(dirfd, name, (n->mode & S_IFMT) | 0600, n->rdev) < 0)
			return error_set(err, errno, "mknod /%s", rel);
		break;
	}
	if (!S_ISDIR(n->mode) && n->nlink > 1) {
		b->made[idx] = strdup(rel);
		if (!b->made[idx])
			return error_set(err, ENOMEM, "/%s", rel);
	}
	return apply_attrs(b, dirfd, name, idx, rel, err);
}

static int build_dir(struct builder *b, int dirfd, uint32_t dir,
		     const char *rel, struct error **err)
{
	const struct image_node *d = &b->img->nodes[dir];
	uint32_t i;

	for (i = 0; i < d->nchildren; i++) {
		char *child = path_join(rel, d->children[i].name);
		int ret;

		if (!child)
			return error_set(err, ENOMEM, "/%s", rel);
		ret = build_entry(b, dirfd, d->children[i].name,
				  d->children[i].node, child, err);
		free(child);
		if (ret < 0)
			return -1;
	}
	return 0;
}

int meta_build(const struct image *img, const char *dir, struct error **err)
{
	struct builder b = { .img = img, .rootfd = -1 };
	int empty, ret = -1;
	uint32_t i;

	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return error_set(err, errno, "create metadata layer %s", dir);
	empty = dir_is_empty(dir);
	if (empty <= 0)		/* never touch a directory that holds something */
		return error_set(err, empty < 0 ? errno : ENOTEMPTY,
				 "metadata layer %s", dir);
	b.made = calloc(img->count, sizeof(*b.made));
	b.rootfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (!b.made || b.rootfd < 0) {
		error_set(err, b.made ? errno : ENOMEM, "open %s", dir);
		goto out;
	}
	/*
	 * The image's devices and setuid files are real here: root's alone,
	 * whoever made the directory. The overlay's root is the upper's, so
	 * the image root's attributes are not needed on this one. Checked
	 * empty again: nothing put in before then may stay.
	 */
	if (fchown(b.rootfd, 0, 0) < 0 || fchmod(b.rootfd, 0700) < 0) {
		error_set(err, errno, "make %s root's alone", dir);
		goto out;
	}
	empty = dir_is_empty(dir);
	if (empty <= 0) {
		error_set(err, empty < 0 ? errno : ENOTEMPTY, "metadata layer %s", dir);
		goto out;
	}
	if (build_dir(&b, b.rootfd, 0, "", err) < 0)
		goto out;
	ret = 0;
out:
	if (ret < 0)
		error_wrap(err, "build metadata layer %s", dir);
	if (b.rootfd >= 0)
		close(b.rootfd);
	for (i = 0; b.made && i < img->count; i++)
		free(b.made[i]);
	free(b.made);
	return ret;
}

int meta_apply_root(const struct image *img, const char *dir, struct error **err)
{
	struct builder b = { .img = img };
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), ret;

	if (fd < 0)
		return error_set(err, errno, "open %s", dir);
	ret = apply_attrs(&b, fd, ".", 0, "", err);
	close(fd);
	if (ret < 0)
		return error_wrap(err, "root attributes on %s", dir);
	return 0;
}
