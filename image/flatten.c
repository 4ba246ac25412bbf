// SPDX-License-Identifier: MIT
#include "flatten.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "log.h"
#include "name_set.h"

#define WHITEOUT ".wh."
#define OPAQUE ".wh..wh..opq"

/* What a name points at: shared by the names of a hardlink group. */
struct flat_inode {
	const struct layer_entry *e;	/* NULL: a directory no entry declared */
	uint32_t image_node;		/* IMAGE_NONE until emitted */
	unsigned refs;
};

/*
 * A name in the tree. Kids are kept unordered, found through a keyed
 * hash set, and sorted once when emitted: names from a layer can neither
 * collide on purpose nor make each insert shift a sorted array.
 */
struct flat_node {
	char *name;
	struct flat_inode *ino;
	uint32_t layer;			/* the layer that made this name */
	uint32_t slot;			/* where the parent's kids hold it */
	struct flat_node **kids;
	uint32_t nkids, cap;
	struct name_set byname;		/* the kids, by name */
};

struct flattener {
	struct flat_node *root;
	struct flat_result *res;
	uint32_t layer;
	uint32_t files_cap;
};

static struct flat_inode *inode_new(const struct layer_entry *e)
{
	struct flat_inode *ino = calloc(1, sizeof(*ino));

	if (ino) {
		ino->e = e;
		ino->image_node = IMAGE_NONE;
		ino->refs = 1;
	}
	return ino;
}

static void inode_put(struct flat_inode *ino)
{
	if (ino && --ino->refs == 0)
		free(ino);
}

static bool is_dir(const struct flat_node *n)
{
	return !n->ino->e || S_ISDIR(n->ino->e->mode);
}

static struct flat_node *node_new(const char *name, size_t len,
				  struct flat_inode *ino, uint32_t layer)
{
	struct flat_node *n = calloc(1, sizeof(*n));

	if (!n || !(n->name = strndup(name, len))) {
		free(n);
		return NULL;
	}
	n->ino = ino;
	n->layer = layer;
	name_set_init(&n->byname, offsetof(struct flat_node, name));
	return n;
}

static void node_free(struct flat_node *n)
{
	uint32_t i;

	if (!n)
		return;
	for (i = 0; i < n->nkids; i++)
		node_free(n->kids[i]);
	free(n->kids);
	name_set_free(&n->byname);
	inode_put(n->ino);
	free(n->name);
	free(n);
}

/* DIR's kid named NAME (LEN bytes), or NULL. */
static struct flat_node *kid_find(const struct flat_node *dir, const char *name,
				  size_t len)
{
	return name_set_find(&dir->byname, name, len);
}

static void kid_remove(struct flat_node *dir, struct flat_node *kid)
{
	struct flat_node *last = dir->kids[--dir->nkids];

	name_set_remove(&dir->byname, kid);
	/* the last kid takes its place: kids have no order until emitted */
	dir->kids[kid->slot] = last;
	last->slot = kid->slot;
	node_free(kid);
}

/* A new name NAME in DIR for INO (reference taken over); replaces nothing. */
static struct flat_node *kid_add(struct flattener *f, struct flat_node *dir,
				 const char *name, size_t len,
				 struct flat_inode *ino)
{
	struct flat_node *kid;

	if (dir->nkids == dir->cap) {
		uint32_t cap = dir->cap ? dir->cap * 2 : 8;
		struct flat_node **k = dir->cap < UINT32_MAX / 2 ?
			reallocarray(dir->kids, cap, sizeof(*k)) : NULL;

		if (!k)
			return NULL;
		dir->kids = k;
		dir->cap = cap;
	}
	kid = node_new(name, len, ino, f->layer);
	if (!kid || name_set_add(&dir->byname, kid) < 0) {
		if (kid)
			kid->ino = NULL;
		node_free(kid);
		return NULL;
	}
	kid->slot = dir->nkids;
	dir->kids[dir->nkids++] = kid;
	return kid;
}

/* An opaque directory: hide what the layers below put under DIR. */
static void hide_lower(struct flat_node *dir, uint32_t layer)
{
	uint32_t i = 0;

	while (i < dir->nkids) {
		struct flat_node *k = dir->kids[i];

		if (k->layer < layer) {
			kid_remove(dir, k);	/* the last kid moves to i */
			continue;
		}
		if (is_dir(k))
			hide_lower(k, layer);
		i++;
	}
}

/*
 * The directory that holds the last component of PATH (which has LEN
 * bytes before that component), made as needed: a missing directory is
 * implied, a non-directory in the way is replaced, as tar extraction does.
 */
static struct flat_node *parent_of(struct flattener *f, const char *path,
				   size_t len)
{
	struct flat_node *dir = f->root;
	const char *p = path, *end = path + len;

	while (p < end) {
		const char *slash = memchr(p, '/', (size_t)(end - p));
		size_t n = slash ? (size_t)(slash - p) : (size_t)(end - p);
		struct flat_node *kid = kid_find(dir, p, n);
		struct flat_inode *ino;

		if (kid && is_dir(kid)) {
			dir = kid;
		} else {
			if (kid)
				kid_remove(dir, kid);
			ino = inode_new(NULL);
			if (!ino)
				return NULL;
			dir = kid_add(f, dir, p, n, ino);
			if (!dir) {
				inode_put(ino);
				return NULL;
			}
		}
		p += n + 1;
	}
	return dir;
}

/* The node at PATH, without making anything; NULL if absent. */
static struct flat_node *lookup(struct flattener *f, const char *path)
{
	struct flat_node *n = f->root;
	const char *p = path;

	while (*p) {
		const char *slash = strchr(p, '/');
		size_t len = slash ? (size_t)(slash - p) : strlen(p);

		if (!is_dir(n))
			return NULL;
		n = kid_find(n, p, len);
		if (!n)
			return NULL;
		p += len + (slash ? 1 : 0);
	}
	return n;
}

static void ignore(struct flattener *f, const struct layer_entry *e,
		   const char *why)
{
	image_log("layer %u: %s: ignored: %s", f->layer, e->path, why);
	f->res->ignored++;
}

static int apply_whiteout(struct flattener *f, struct flat_node *dir,
			  const struct layer_entry *e, const char *base)
{
	const char *name = base + strlen(WHITEOUT);
	struct flat_node *kid;

	if (!strcmp(base, OPAQUE)) {
		hide_lower(dir, f->layer);
		return 0;
	}
	if (!image_name_valid(name, strlen(name))) {
		ignore(f, e, "whiteout of an invalid name");
		return 0;
	}
	kid = kid_find(dir, name, strlen(name));
	/* a whiteout hides the layers below, never its own layer */
	if (kid && kid->layer < f->layer)
		kid_remove(dir, kid);
	return 0;
}

static int apply_entry(struct flattener *f, const struct layer_entry *e)
{
	const char *slash = strrchr(e->path, '/');
	const char *base = slash ? slash + 1 : e->path;
	struct flat_inode *ino;
	struct flat_node *dir, *kid, *target = NULL;

	if (strlen(e->path) >= PATH_MAX) {
		ignore(f, e, "path too long");
		return 0;
	}
	if (!*e->path) {
		/* the root: only its attributes */
		if (e->kind != LAYER_ENTRY_NORMAL || !S_ISDIR(e->mode)) {
			ignore(f, e, "root that is not a directory");
			return 0;
		}
		ino = inode_new(e);
		if (!ino)
			return -1;
		inode_put(f->root->ino);
		f->root->ino = ino;
		return 0;
	}
	if (e->kind == LAYER_ENTRY_HARDLINK) {
		target = lookup(f, e->hardlink);
		if (!target || is_dir(target) || target->layer != f->layer) {
			ignore(f, e, "hardlink to no earlier file of its layer");
			return 0;
		}
	}
	dir = parent_of(f, e->path, slash ? (size_t)(slash - e->path) : 0);
	if (!dir)
		return -1;
	if (!strncmp(base, WHITEOUT, strlen(WHITEOUT)))
		return apply_whiteout(f, dir, e, base);
	kid = kid_find(dir, base, strlen(base));
	if (kid && target == kid)
		return 0;	/* a hardlink to itself: nothing changes */
	if (kid && e->kind == LAYER_ENTRY_NORMAL && S_ISDIR(e->mode) &&
	    is_dir(kid)) {
		/* a directory over a directory: new attributes, same content */
		ino = inode_new(e);
		if (!ino)
			return -1;
		inode_put(kid->ino);
		kid->ino = ino;
		kid->layer = f->layer;
		return 0;
	}
	if (target) {
		ino = target->ino;
		ino->refs++;
	} else if (!(ino = inode_new(e))) {
		return -1;
	}
	if (kid)
		kid_remove(dir, kid);
	if (!kid_add(f, dir, base, strlen(base), ino)) {
		inode_put(ino);
		return -1;
	}
	return 0;
}

static void attr_of(const struct flat_inode *ino, struct image_attr *a)
{
	const struct layer_entry *e = ino->e;

	memset(a, 0, sizeof(*a));
	if (!e) {
		a->mode = S_IFDIR | 0755;
		return;
	}
	a->mode = e->mode;
	a->uid = e->uid;
	a->gid = e->gid;
	a->size = S_ISREG(e->mode) || S_ISLNK(e->mode) ? e->size : 0;
	if (S_ISLNK(e->mode) && e->link)
		a->size = strlen(e->link);
	a->blocks = (a->size + 511) / 512;
	a->rdev = e->rdev;
	a->atime = e->atime;
	a->mtime = e->mtime;
	a->ctime = e->ctime;
	a->link = e->link;
}

static int add_file(struct flattener *f, const struct flat_inode *ino,
		    uint32_t layer, uint64_t *idx)
{
	struct flat_result *r = f->res;
	struct flat_file *files;

	if (r->nfiles == f->files_cap) {
		uint32_t cap = f->files_cap ? f->files_cap * 2 : 1024;

		files = f->files_cap < UINT32_MAX / 2 ?
			reallocarray(r->files, cap, sizeof(*files)) : NULL;
		if (!files)
			return -1;
		r->files = files;
		f->files_cap = cap;
	}
	files = r->files;
	files[r->nfiles] = (struct flat_file){
		.layer = layer, .data_off = ino->e->data_off, .size = ino->e->size,
	};
	*idx = r->nfiles++;
	return 0;
}

static int emit_inode(struct flattener *f, struct image *img, uint32_t parent,
		      const struct flat_node *n, struct error **err)
{
	struct flat_inode *ino = n->ino;
	struct image_attr a;
	uint32_t i;

	attr_of(ino, &a);
	if (S_ISREG(a.mode) && add_file(f, ino, n->layer, &a.src_off) < 0)
		return error_set(err, ENOMEM, "image file table");
	if (image_add(img, parent, n->name, &a, &ino->image_node, err) < 0)
		return -1;
	for (i = 0; ino->e && i < ino->e->nxattrs; i++) {
		const struct layer_xattr *x = &ino->e->xattrs[i];

		if (image_add_xattr(img, ino->image_node, x->name, x->value,
				    x->size, err) < 0)
			return -1;
	}
	return 0;
}

static int by_name(const void *a, const void *b)
{
	const struct flat_node *const *x = a, *const *y = b;

	return strcmp((*x)->name, (*y)->name);
}

/* Kids in name order: node numbers are the same for the same layers. */
static int emit_dir(struct flattener *f, struct image *img,
		    struct flat_node *dir, uint32_t dir_node,
		    struct error **err)
{
	uint32_t i;

	if (dir->nkids > 1)
		qsort(dir->kids, dir->nkids, sizeof(*dir->kids), by_name);
	for (i = 0; i < dir->nkids; i++)
		dir->kids[i]->slot = i;
	for (i = 0; i < dir->nkids; i++) {
		struct flat_node *k = dir->kids[i];

		if (k->ino->image_node != IMAGE_NONE) {
			if (image_link(img, dir_node, k->name, k->ino->image_node,
				       err) < 0)
				return -1;
			continue;
		}
		if (emit_inode(f, img, dir_node, k, err) < 0)
			return error_wrap(err, "%s", k->name);
		if (is_dir(k) &&
		    emit_dir(f, img, k, k->ino->image_node, err) < 0)
			return error_wrap(err, "%s", k->name);
	}
	return 0;
}

static int emit(struct flattener *f, struct image *img, struct error **err)
{
	struct image_attr a;
	uint32_t i;

	attr_of(f->root->ino, &a);
	if (image_add_root(img, &a, err) < 0)
		return -1;
	f->root->ino->image_node = 0;
	for (i = 0; f->root->ino->e && i < f->root->ino->e->nxattrs; i++) {
		const struct layer_xattr *x = &f->root->ino->e->xattrs[i];

		if (image_add_xattr(img, 0, x->name, x->value, x->size, err) < 0)
			return -1;
	}
	return emit_dir(f, img, f->root, 0, err);
}

int flatten_layers(const struct layer_index *const *layers, uint32_t n,
		   struct image *img, struct flat_result *out,
		   struct error **err)
{
	struct flattener f = { .res = out };
	struct flat_inode *root_ino = inode_new(NULL);
	uint32_t i;
	int ret = -1;

	memset(out, 0, sizeof(*out));
	f.root = root_ino ? node_new("", 0, root_ino, 0) : NULL;
	if (!f.root) {
		inode_put(root_ino);
		return error_set(err, ENOMEM, "flatten layers");
	}
	for (f.layer = 0; f.layer < n; f.layer++) {
		for (i = 0; i < layers[f.layer]->nentries; i++) {
			if (apply_entry(&f, &layers[f.layer]->entries[i]) < 0) {
				error_set(err, ENOMEM, "layer %u: %s", f.layer,
					  layers[f.layer]->entries[i].path);
				goto out;
			}
		}
	}
	ret = emit(&f, img, err);
out:
	node_free(f.root);
	if (ret < 0)
		flat_result_free(out);
	return ret;
}

void flat_result_free(struct flat_result *r)
{
	free(r->files);
	r->files = NULL;
	r->nfiles = 0;
}
