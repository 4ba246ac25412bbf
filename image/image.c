// SPDX-License-Identifier: MIT
#include "image.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct image_handle {
	struct source *src;
	struct image tree;
};

int image_open(const char *spec, const struct source_opts *opts,
	       struct image_handle **out, struct error **err)
{
	struct image_handle *h = calloc(1, sizeof(*h));

	if (!h)
		return error_set(err, ENOMEM, "open %s", spec);
	image_init(&h->tree);
	if (source_open(spec, opts, &h->src, err) < 0 ||
	    h->src->ops->index(h->src, &h->tree, err) < 0 ||
	    image_finalize(&h->tree, err) < 0) {
		image_close(h);
		return -1;
	}
	*out = h;
	return 0;
}

void image_close(struct image_handle *h)
{
	if (!h)
		return;
	image_free(&h->tree);
	source_close(h->src);
	free(h);
}

const struct image *image_tree(const struct image_handle *h)
{
	return &h->tree;
}

const char *image_digest(const struct image_handle *h)
{
	return h->src->ops->digest ? h->src->ops->digest(h->src) : NULL;
}

int image_save_tree(struct image_handle *h, const char *path,
		    struct error **err)
{
	if (!h->src->ops->save_tree)
		return error_set(err, ENOTSUP, "%s source: no saved tree",
				 h->src->ops->scheme);
	return h->src->ops->save_tree(h->src, &h->tree, path, err);
}

struct source *image_source(const struct image_handle *h)
{
	return h->src;
}

int image_walk(const struct image_handle *h, image_walk_fn *fn, void *arg)
{
	uint32_t i;
	int rc;

	for (i = 0; i < h->tree.count; i++) {
		rc = fn(&h->tree, i, arg);
		if (rc)
			return rc;
	}
	return 0;
}

static int regular_node(const struct image_handle *h, uint32_t node,
			struct error **err)
{
	if (node >= h->tree.count || !S_ISREG(h->tree.nodes[node].mode))
		return error_set(err, EINVAL, "node %u: not a regular file", node);
	return 0;
}

/* Sources without a ranged read serve a local file in place. */
static ssize_t read_local(struct image_handle *h, uint32_t node, uint64_t off,
			  void *buf, size_t len, struct error **err)
{
	size_t done = 0;
	ssize_t n = 0;
	int fd;

	if (!h->src->ops->open_local)
		return error_set(err, ENOTSUP, "%s source: no ranged read",
				 h->src->ops->scheme);
	fd = h->src->ops->open_local(h->src, &h->tree, node, err);
	if (fd < 0)
		return -1;
	while (done < len) {
		n = pread(fd, (char *)buf + done, len - done, (off_t)(off + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		done += (size_t)n;
	}
	if (n < 0)
		error_set(err, errno, "read");
	close(fd);
	return n < 0 ? -1 : (ssize_t)done;
}

ssize_t image_read(struct image_handle *h, uint32_t node, uint64_t off,
		   void *buf, size_t len, struct error **err)
{
	const struct image_node *n;
	ssize_t got;

	if (regular_node(h, node, err) < 0)
		return -1;
	n = &h->tree.nodes[node];
	if (off >= n->size)
		return 0;
	if (len > n->size - off)
		len = (size_t)(n->size - off);
	if (h->src->ops->read)
		got = h->src->ops->read(h->src, &h->tree, node, off, buf, len, err);
	else
		got = read_local(h, node, off, buf, len, err);
	if (got < 0) {
		char *path = image_path(&h->tree, node);

		error_wrap(err, "read /%s", path ? path : "?");
		free(path);
	}
	return got;
}

int image_locate(struct image_handle *h, uint32_t node, uint32_t *layer,
		 uint64_t *off, struct error **err)
{
	if (regular_node(h, node, err) < 0)
		return -1;
	if (!h->src->ops->locate)
		return error_set(err, ENOTSUP, "%s: no data locations",
				 h->src->ops->scheme);
	return h->src->ops->locate(h->src, &h->tree, node, layer, off, err);
}

int image_warm(struct image_handle *h, uint32_t node, struct error **err)
{
	char *path;

	if (regular_node(h, node, err) < 0)
		return -1;
	if (!h->src->ops->warm)
		return error_set(err, ENOTSUP, "%s: no cache to warm",
				 h->src->ops->scheme);
	if (h->src->ops->warm(h->src, &h->tree, node, err) == 0)
		return 0;
	path = image_path(&h->tree, node);
	error_wrap(err, "warm /%s", path ? path : "?");
	free(path);
	return -1;
}

int image_fetch_fd(struct image_handle *h, uint32_t node, int fd,
		   struct error **err)
{
	char *path;

	if (regular_node(h, node, err) < 0)
		return -1;
	if (h->src->ops->fetch(h->src, &h->tree, node, fd, err) == 0)
		return 0;
	path = image_path(&h->tree, node);
	error_wrap(err, "fetch /%s", path ? path : "?");
	free(path);
	return -1;
}

int image_fetch(struct image_handle *h, uint32_t node, int dirfd,
		const char *name, struct error **err)
{
	int fd;

	if (regular_node(h, node, err) < 0)
		return -1;
	if (!*name || strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, ".."))
		return error_set(err, EINVAL, "fetch into '%s': not one name", name);
	fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		    0600);
	if (fd < 0)
		return error_set(err, errno, "create %s", name);
	if (h->src->ops->fetch(h->src, &h->tree, node, fd, err) < 0) {
		char *path = image_path(&h->tree, node);

		error_wrap(err, "fetch /%s", path ? path : "?");
		free(path);
		close(fd);
		unlinkat(dirfd, name, 0);
		return -1;
	}
	if (close(fd) < 0) {
		error_set(err, errno, "close %s", name);
		unlinkat(dirfd, name, 0);
		return -1;
	}
	return 0;
}
