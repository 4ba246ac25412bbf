// SPDX-License-Identifier: MIT
/*
 * The metadata layer as one EROFS image (meta.h): the same entries,
 * attributes and overlay xattrs meta_build() makes as a tree, written in
 * one sequential pass and mounted file-backed.
 */
#include "meta.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/fsutil.h"
#include "../common/private_dir.h"
#include "../common/util.h"
#include "../erofs/erofs_writer.h"

struct ebuild {
	const struct image *img;
	struct erofs_writer *w;
	uint32_t *index;	/* node -> entry of its first name */
};

static int add_dir(struct ebuild *b, uint32_t dir, uint32_t at,
		   const char *rel, struct error **err);

/*
 * Regular files get no data: a hole of their size, metacopy, and a
 * redirect to their path in the data layers (the first name met in
 * this walk, as meta_build() and the store's data/ have it).
 */
static int add_node(struct ebuild *b, uint32_t parent, const char *name,
		    uint32_t idx, const char *rel, struct error **err)
{
	const struct image_node *n = &b->img->nodes[idx];
	struct erofs_entry e = {
		.parent = parent, .name = name, .hardlink = EROFS_NO_LINK,
		.mode = n->mode, .uid = n->uid, .gid = n->gid,
		.mtime_sec = n->mtime.tv_sec, .mtime_nsec = (uint32_t)n->mtime.tv_nsec,
		.rdev = S_ISCHR(n->mode) || S_ISBLK(n->mode) ? n->rdev : 0,
		.symlink = S_ISLNK(n->mode) ? n->link : NULL,
	};
	struct erofs_xattr *x;
	char *redirect = NULL;
	uint32_t i, at;
	int ret = -1;

	if (b->index[idx] != EROFS_NO_LINK) {	/* another name of a file added */
		e.hardlink = b->index[idx];
		return erofs_writer_add(b->w, &e, NULL, err);
	}
	x = calloc(n->nxattrs + 2, sizeof(*x));
	if (!x)
		return error_set(err, ENOMEM, "/%s", rel);
	for (i = 0; i < n->nxattrs; i++)
		x[i] = (struct erofs_xattr){ n->xattrs[i].name, n->xattrs[i].value,
					     n->xattrs[i].size };
	e.xattrs = x;
	e.nxattrs = n->nxattrs;
	if (S_ISREG(n->mode)) {
		if (asprintf(&redirect, "/%s", rel) < 0) {
			redirect = NULL;
			error_set(err, ENOMEM, "/%s", rel);
			goto out;
		}
		x[e.nxattrs++] = (struct erofs_xattr){ "trusted.overlay.metacopy", "", 0 };
		x[e.nxattrs++] = (struct erofs_xattr){ "trusted.overlay.redirect", redirect,
						       strlen(redirect) };
		e.size = n->size;
	}
	if (erofs_writer_add(b->w, &e, &at, err) < 0)
		goto out;
	if (!S_ISDIR(n->mode))
		b->index[idx] = at;
	ret = S_ISDIR(n->mode) ? add_dir(b, idx, at, rel, err) : 0;
out:
	free(redirect);
	free(x);
	return ret;
}

static int add_dir(struct ebuild *b, uint32_t dir, uint32_t at,
		   const char *rel, struct error **err)
{
	const struct image_node *d = &b->img->nodes[dir];
	uint32_t i;

	for (i = 0; i < d->nchildren; i++) {
		char *child = path_join(rel, d->children[i].name);
		int ret;

		if (!child)
			return error_set(err, ENOMEM, "/%s", rel);
		ret = add_node(b, at, d->children[i].name, d->children[i].node,
			       child, err);
		free(child);
		if (ret < 0)
			return -1;
	}
	return 0;
}

static int write_image(int fd, const void *arg, struct error **err)
{
	return erofs_writer_write((struct erofs_writer *)arg, fd, err);
}

int meta_build_erofs(const struct image *img, const uint8_t uuid[16],
		     const char *path, struct error **err)
{
	const struct image_node *r = &img->nodes[0];
	/* root's alone, as meta_build's root: the overlay shows the upper's */
	struct erofs_entry root = {
		.parent = EROFS_NO_PARENT, .name = "", .hardlink = EROFS_NO_LINK,
		.mode = S_IFDIR | 0700, .mtime_sec = r->mtime.tv_sec,
		.mtime_nsec = (uint32_t)r->mtime.tv_nsec,
	};
	struct ebuild b = { .img = img };
	uint32_t i, at;
	int ret = -1;

	b.index = malloc((size_t)img->count * sizeof(*b.index));
	if (!b.index) {
		error_set(err, ENOMEM, "metadata image");
		goto out;
	}
	for (i = 0; i < img->count; i++)
		b.index[i] = EROFS_NO_LINK;
	if (erofs_writer_new(&b.w, err) < 0)
		goto out;
	erofs_writer_set_uuid(b.w, uuid);
	if (erofs_writer_add(b.w, &root, &at, err) < 0 ||
	    add_dir(&b, 0, at, "", err) < 0)
		goto out;
	/* whole or not at all: a new file synced, then renamed in */
	if (file_replace(path, 0600, FILE_DURABLE, write_image, b.w, err) < 0)
		goto out;
	ret = 0;
out:
	if (ret < 0)
		error_wrap(err, "build metadata image %s", path);
	erofs_writer_free(b.w);
	free(b.index);
	return ret;
}

/* The kernel logs why a mount failed on the context fd. */
static int fs_error(int fd, int errnum, const char *what, const char *image,
		    struct error **err)
{
	char msg[256] = "";
	ssize_t n = read(fd, msg, sizeof(msg) - 1);

	if (n > 2) {
		msg[n] = '\0';
		msg[strcspn(msg, "\n")] = '\0';
		return error_set(err, errnum, "%s %s (%s)", what, image, msg + 2);
	}
	return error_set(err, errnum, "%s %s", what, image);
}

int meta_mount_erofs(const char *image, int *mfd, struct error **err)
{
	int fd = fsopen("erofs", FSOPEN_CLOEXEC);

	*mfd = -1;
	if (fd < 0)
		return error_set(err, errno, "mount metadata image %s: fsopen erofs", image);
	if (fsconfig(fd, FSCONFIG_SET_STRING, "source", image, 0) < 0)
		fs_error(fd, errno, "mount metadata image", image, err);
	else if (fsconfig(fd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		fs_error(fd, errno, "mount metadata image", image, err);
	else if ((*mfd = fsmount(fd, FSMOUNT_CLOEXEC, MOUNT_ATTR_RDONLY)) < 0)
		fs_error(fd, errno, "mount metadata image", image, err);
	close(fd);
	return *mfd < 0 ? -1 : 0;
}

int meta_open(const char *meta, int *fd, char **path, struct error **err)
{
	struct stat st;

	*path = NULL;
	*fd = -1;
	if (stat(meta, &st) < 0)
		return error_set(err, errno, "metadata layer %s", meta);
	if (S_ISDIR(st.st_mode)) {
		*fd = open(meta, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (*fd < 0)
			return error_set(err, errno, "open %s", meta);
		*path = strdup(meta);
	} else {
		if (meta_mount_erofs(meta, fd, err) < 0)
			return -1;
		/* "/.": a path nftw(FTW_PHYS) descends, not a symlink */
		if (asprintf(path, "/proc/self/fd/%d/.", *fd) < 0)
			*path = NULL;
	}
	if (!*path) {
		close(*fd);
		*fd = -1;
		return error_set(err, ENOMEM, "metadata layer %s", meta);
	}
	return 0;
}

int meta_check_private(const char *meta, struct error **err)
{
	char *parent;
	struct stat st;
	int ret;

	if (lstat(meta, &st) < 0 || !S_ISREG(st.st_mode))
		return dir_check_private("metadata layer", meta, err);
	/* an image file: nobody but root may write it or its directory */
	if (st.st_uid != 0 || (st.st_mode & 022))
		return error_set_msg(err, EPERM, "metadata layer %s: owned by uid %u, mode %04o: not root's alone",
				     meta, (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777));
	parent = strdup(meta);
	if (!parent)
		return error_set(err, ENOMEM, "metadata layer %s", meta);
	ret = dir_check_private("metadata layer", dirname(parent), err);
	free(parent);
	return ret;
}
