// SPDX-License-Identifier: MIT
#include "tree.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define OVERLAY_XATTR_PREFIX "trusted.overlay."


void image_init(struct image *img)
{
	memset(img, 0, sizeof(*img));
}

static void node_free(struct image_node *n)
{
	uint32_t i;

	free(n->name);
	free(n->link);
	free(n->src_ref);
	for (i = 0; i < n->nxattrs; i++) {
		free(n->xattrs[i].name);
		free(n->xattrs[i].value);
	}
	free(n->xattrs);
	/* child names are owned by the child's dirent, freed here */
	for (i = 0; i < n->nchildren; i++)
		free(n->children[i].name);
	free(n->children);
}

void image_free(struct image *img)
{
	uint32_t i;

	for (i = 0; i < img->count; i++)
		node_free(&img->nodes[i]);
	free(img->nodes);
	memset(img, 0, sizeof(*img));
}

bool image_name_valid(const char *name, size_t len)
{
	if (len == 0 || len > 255)
		return false;
	if (memchr(name, '/', len) || memchr(name, '\0', len))
		return false;
	if ((len == 1 && name[0] == '.') ||
	    (len == 2 && name[0] == '.' && name[1] == '.'))
		return false;
	return true;
}

int image_reserve(struct image *img, uint32_t n, struct error **err)
{
	struct image_node *nodes;

	if (n <= img->cap)
		return 0;
	if (n >= IMAGE_NONE)
		return error_set(err, EOVERFLOW, "too many entries in image");
	nodes = reallocarray(img->nodes, n, sizeof(*nodes));
	if (!nodes)
		return error_set(err, ENOMEM, "image of %u entries", n);
	img->nodes = nodes;
	img->cap = n;
	return 0;
}

static int new_node(struct image *img, const struct image_attr *a,
		    uint32_t *out, struct error **err)
{
	struct image_node *n;

	if (img->count == IMAGE_NONE - 1)
		return error_set(err, EOVERFLOW, "too many entries in image");
	if (img->count == img->cap) {
		uint32_t cap = img->cap ? img->cap * 2 : 1024;
		struct image_node *nodes;

		if (cap < img->cap)
			cap = IMAGE_NONE - 1;
		nodes = reallocarray(img->nodes, cap, sizeof(*nodes));
		if (!nodes)
			return error_set(err, ENOMEM, "grow image");
		img->nodes = nodes;
		img->cap = cap;
	}
	n = &img->nodes[img->count];
	memset(n, 0, sizeof(*n));
	n->parent = IMAGE_NONE;
	n->mode = a->mode;
	n->uid = a->uid;
	n->gid = a->gid;
	n->size = a->size;
	n->blocks = a->blocks;
	n->rdev = a->rdev;
	n->atime = a->atime;
	n->mtime = a->mtime;
	n->ctime = a->ctime;
	n->src_off = a->src_off;
	if (S_ISLNK(a->mode)) {
		n->link = strdup(a->link ? a->link : "");
		if (!n->link)
			return error_set(err, ENOMEM, "symlink target");
		n->size = strlen(n->link);
	}
	if (a->src_ref) {
		n->src_ref = strdup(a->src_ref);
		if (!n->src_ref) {
			free(n->link);
			return error_set(err, ENOMEM, "source reference");
		}
	}
	if (S_ISDIR(a->mode))
		n->size = 0;
	if (S_ISREG(a->mode)) {
		img->total_bytes += n->size;
		img->nregular++;
	}
	*out = img->count++;
	return 0;
}

int image_add_root(struct image *img, const struct image_attr *attr,
		   struct error **err)
{
	uint32_t idx;

	if (img->count)
		return error_set(err, EEXIST, "image already has a root");
	if (!S_ISDIR(attr->mode))
		return error_set(err, ENOTDIR, "image root");
	return new_node(img, attr, &idx, err);
}

static int add_dirent(struct image *img, uint32_t parent, const char *name,
		      uint32_t node, struct error **err)
{
	struct image_node *p;
	char *copy;

	if (parent >= img->count || !S_ISDIR(img->nodes[parent].mode))
		return error_set(err, ENOTDIR, "add %s: parent is not a directory",
				 name);
	p = &img->nodes[parent];
	if (p->nchildren == p->children_cap) {
		uint32_t cap = p->children_cap ? p->children_cap * 2 : 8;
		struct image_dirent *c;

		c = reallocarray(p->children, cap, sizeof(*c));
		if (!c)
			return error_set(err, ENOMEM, "add %s", name);
		p->children = c;
		p->children_cap = cap;
	}
	copy = strdup(name);
	if (!copy)
		return error_set(err, ENOMEM, "add %s", name);
	p->children[p->nchildren].name = copy;
	p->children[p->nchildren].node = node;
	p->nchildren++;
	return 0;
}

int image_add(struct image *img, uint32_t parent, const char *name,
	      const struct image_attr *attr, uint32_t *out, struct error **err)
{
	struct image_node *n;
	uint32_t idx;

	if (!image_name_valid(name, strlen(name)))
		return error_set(err, EINVAL, "invalid entry name '%s'", name);
	if (parent >= img->count || !S_ISDIR(img->nodes[parent].mode))
		return error_set(err, ENOTDIR, "add %s: parent is not a directory",
				 name);
	if (new_node(img, attr, &idx, err) < 0)
		return error_wrap(err, "add %s", name);
	n = &img->nodes[idx];
	n->parent = parent;
	n->name = strdup(name);
	if (!n->name || add_dirent(img, parent, name, idx, err) < 0) {
		if (!*err)
			error_set(err, ENOMEM, "add %s", name);
		node_free(n);
		img->count--;
		return -1;
	}
	*out = idx;
	return 0;
}

int image_link(struct image *img, uint32_t parent, const char *name,
	       uint32_t node, struct error **err)
{
	if (!image_name_valid(name, strlen(name)))
		return error_set(err, EINVAL, "invalid entry name '%s'", name);
	if (node >= img->count)
		return error_set(err, ENOENT, "link %s: no such node", name);
	if (S_ISDIR(img->nodes[node].mode))
		return error_set(err, EPERM, "link %s: hardlink to a directory",
				 name);
	return add_dirent(img, parent, name, node, err);
}

int image_add_xattr(struct image *img, uint32_t node, const char *name,
		    const void *value, size_t size, struct error **err)
{
	struct image_node *n = &img->nodes[node];
	struct image_xattr *x;

	if (!strncmp(name, OVERLAY_XATTR_PREFIX, strlen(OVERLAY_XATTR_PREFIX)))
		return 0;
	if (!*name || strlen(name) > 255)
		return error_set(err, EINVAL, "invalid xattr name '%s'", name);
	if (size > 65536)
		return error_set(err, E2BIG, "xattr %s", name);
	x = reallocarray(n->xattrs, n->nxattrs + 1, sizeof(*x));
	if (!x)
		return error_set(err, ENOMEM, "xattr %s", name);
	n->xattrs = x;
	x = &n->xattrs[n->nxattrs];
	x->name = strdup(name);
	x->value = malloc(size ? size : 1);
	if (!x->name || !x->value) {
		free(x->name);
		free(x->value);
		return error_set(err, ENOMEM, "xattr %s", name);
	}
	memcpy(x->value, value, size);
	x->size = size;
	n->nxattrs++;
	return 0;
}

static int dirent_cmp(const void *a, const void *b)
{
	const struct image_dirent *x = a, *y = b;

	return strcmp(x->name, y->name);
}

int image_finalize(struct image *img, struct error **err)
{
	uint32_t i, j;

	if (!img->count)
		return error_set(err, EINVAL, "image has no root");
	for (i = 0; i < img->count; i++)
		img->nodes[i].nlink = S_ISDIR(img->nodes[i].mode) ? 2 : 0;
	for (i = 0; i < img->count; i++) {
		struct image_node *d = &img->nodes[i];

		if (!S_ISDIR(d->mode))
			continue;
		if (d->nchildren)
			qsort(d->children, d->nchildren, sizeof(*d->children),
			      dirent_cmp);
		for (j = 0; j < d->nchildren; j++) {
			struct image_node *c = &img->nodes[d->children[j].node];

			if (j && !strcmp(d->children[j - 1].name,
					 d->children[j].name)) {
				char *p = image_path(img, i);

				error_set(err, EEXIST, "duplicate entry '%s' in '/%s'",
					  d->children[j].name, p ? p : "?");
				free(p);
				return -1;
			}
			if (S_ISDIR(c->mode))
				d->nlink++;
			else
				c->nlink++;
		}
	}
	return 0;
}

uint32_t image_lookup(const struct image *img, uint32_t dir, const char *name,
		      size_t namelen)
{
	const struct image_node *d;
	uint32_t lo = 0, hi;

	if (dir >= img->count)
		return IMAGE_NONE;
	d = &img->nodes[dir];
	hi = d->nchildren;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		const char *cn = d->children[mid].name;
		int c = strncmp(cn, name, namelen);

		if (c == 0 && cn[namelen] != '\0')
			c = 1;
		if (c == 0)
			return d->children[mid].node;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return IMAGE_NONE;
}

uint32_t image_lookup_path(const struct image *img, const char *path)
{
	uint32_t n = img->count ? 0 : IMAGE_NONE;

	while (*path && n != IMAGE_NONE) {
		size_t len = strcspn(path, "/");

		if (len)
			n = image_lookup(img, n, path, len);
		path += len + (path[len] == '/');
	}
	return n;
}

char *image_path(const struct image *img, uint32_t node)
{
	size_t len = 0, pos;
	uint32_t n;
	char *out;

	for (n = node; n != 0 && n < img->count; n = img->nodes[n].parent)
		len += strlen(img->nodes[n].name) + 1;
	out = malloc(len + 1);
	if (!out)
		return NULL;
	pos = len;
	out[pos] = '\0';
	for (n = node; n != 0 && n < img->count; n = img->nodes[n].parent) {
		size_t l = strlen(img->nodes[n].name);

		pos -= l;
		memcpy(out + pos, img->nodes[n].name, l);
		out[--pos] = '/';
	}
	/* every component got a leading '/': drop the first one */
	if (len)
		memmove(out, out + 1, len);
	return out;
}

static uint64_t fnv(uint64_t h, const void *data, size_t len)
{
	const unsigned char *p = data;

	while (len--) {
		h ^= *p++;
		h *= 0x100000001b3ull;
	}
	return h;
}

uint64_t image_fingerprint(const struct image *img)
{
	uint64_t h = 0xcbf29ce484222325ull;
	uint32_t i, j;

	for (i = 0; i < img->count; i++) {
		const struct image_node *n = &img->nodes[i];
		uint64_t f[6] = { n->mode, n->size, (uint64_t)n->mtime.tv_sec,
				  (uint64_t)n->mtime.tv_nsec, n->uid, n->gid };

		h = fnv(h, f, sizeof(f));
		if (n->name)
			h = fnv(h, n->name, strlen(n->name) + 1);
		h = fnv(h, &n->parent, sizeof(n->parent));
		for (j = 0; j < n->nchildren; j++)
			h = fnv(h, &n->children[j].node, sizeof(uint32_t));
	}
	return h;
}
