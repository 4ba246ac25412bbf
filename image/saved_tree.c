// SPDX-License-Identifier: MIT
#include "saved_tree.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/fsutil.h"
#include "../common/util.h"
#include "../common/wbuf.h"
#include "digest.h"

static const char magic[8] = "OVLTREE";	/* and its NUL */
#define SAVED_TREE_MAX (1ull << 32)	/* 4 GiB: far beyond any real image */

/* ---- writing ---- */

static void put_bytes(struct wbuf *b, const void *p, size_t len)
{
	if (len > UINT32_MAX) {
		b->oom = true;
		return;
	}
	wbuf_put_u32(b, (uint32_t)len);
	wbuf_put(b, p, len);
}

static void put_str(struct wbuf *b, const char *s)
{
	put_bytes(b, s ? s : "", s ? strlen(s) : 0);
}

static void put_time(struct wbuf *b, const struct timespec *t)
{
	wbuf_put_u64(b, (uint64_t)t->tv_sec);
	wbuf_put_u32(b, (uint32_t)t->tv_nsec);
}

static void put_node(struct wbuf *b, const struct image_node *n)
{
	uint32_t i;

	wbuf_put_u32(b, n->parent);
	put_str(b, n->name);
	wbuf_put_u32(b, n->mode);
	wbuf_put_u32(b, n->uid);
	wbuf_put_u32(b, n->gid);
	wbuf_put_u64(b, n->size);
	wbuf_put_u64(b, n->blocks);
	wbuf_put_u64(b, n->rdev);
	put_time(b, &n->atime);
	put_time(b, &n->mtime);
	put_time(b, &n->ctime);
	put_str(b, n->link);
	put_str(b, n->src_ref);
	wbuf_put_u64(b, n->src_off);
	wbuf_put_u32(b, n->nxattrs);
	for (i = 0; i < n->nxattrs; i++) {
		put_str(b, n->xattrs[i].name);
		put_bytes(b, n->xattrs[i].value, n->xattrs[i].size);
	}
}

/* A dirent that is not its node's first name: a hardlink's other names. */
static bool extra_link(const struct image *img, uint32_t dir,
		       const struct image_dirent *d)
{
	const struct image_node *n = &img->nodes[d->node];

	return d->node == 0 || n->parent != dir || !n->name ||
	       strcmp(n->name, d->name);
}

static void put_links(struct wbuf *b, const struct image *img,
		      uint32_t *count)
{
	uint32_t i, j;

	*count = 0;
	for (i = 0; i < img->count; i++)
		for (j = 0; j < img->nodes[i].nchildren; j++) {
			const struct image_dirent *d = &img->nodes[i].children[j];

			if (!extra_link(img, i, d))
				continue;
			wbuf_put_u32(b, i);
			wbuf_put_u32(b, d->node);
			put_str(b, d->name);
			(*count)++;
		}
}

/* What a node takes in the file, a guess (names are short): a first size. */
#define NODE_GUESS 128

/*
 * The header is written first with a zero length and checksum, the body
 * right after it in the same buffer, then both fields are filled in: the
 * 12 MB of a 100k-entry tree are built once, not copied behind a header.
 */
int saved_tree_encode(const struct image *img, const struct flat_result *flat,
		      const char *identity, void **out, size_t *len,
		      struct error **err)
{
	struct wbuf all = { 0 }, links = { 0 };
	size_t len_at, body_at;
	uint8_t md[32] = { 0 };
	uint32_t i, nlinks;
	uint64_t blen;
	unsigned char *p;

	put_links(&links, img, &nlinks);
	if (img->count < (SIZE_MAX - links.len) / NODE_GUESS - (1 << 16)) {
		all.cap = (size_t)img->count * NODE_GUESS + links.len + (1 << 16);
		all.p = malloc(all.cap);
		if (!all.p)
			all.cap = 0;	/* put grows it, or fails */
	}
	wbuf_put(&all, magic, sizeof(magic));
	wbuf_put_u32(&all, SAVED_TREE_VERSION);
	put_str(&all, identity);
	len_at = all.len;
	wbuf_put_u64(&all, 0);
	wbuf_put(&all, md, sizeof(md));
	body_at = all.len;
	wbuf_put_u32(&all, img->count);
	wbuf_put_u32(&all, flat->nfiles);
	wbuf_put_u32(&all, nlinks);
	for (i = 0; i < img->count; i++)
		put_node(&all, &img->nodes[i]);
	wbuf_put(&all, links.p, links.len);
	for (i = 0; i < flat->nfiles; i++) {
		wbuf_put_u32(&all, flat->files[i].layer);
		wbuf_put_u64(&all, flat->files[i].data_off);
		wbuf_put_u64(&all, flat->files[i].size);
	}
	free(links.p);
	if (all.oom || links.oom ||
	    sha256_buf(all.p + body_at, all.len - body_at, md) < 0) {
		free(all.p);
		return error_set(err, ENOMEM, "saved tree of %u entries", img->count);
	}
	blen = all.len - body_at;
	p = all.p + len_at;
	for (i = 0; i < 8; i++)
		p[i] = (unsigned char)(blen >> (8 * i));
	memcpy(p + 8, md, sizeof(md));
	*out = all.p;
	*len = all.len;
	return 0;
}

/* ---- reading: every field through a bounds-checked cursor ---- */

struct scratch {
	char *buf;
	size_t cap;
};

enum { STR_NAME, STR_LINK, STR_REF, STR_SLOTS };

struct cursor {
	const unsigned char *p;
	size_t left;
	bool bad;
	struct scratch scratch[STR_SLOTS];	/* get_str's buffers */
};

static void cursor_free(struct cursor *c)
{
	for (int i = 0; i < STR_SLOTS; i++)
		free(c->scratch[i].buf);
}

static const void *take(struct cursor *c, size_t len)
{
	const void *p = c->p;

	if (c->bad || len > c->left) {
		c->bad = true;
		return NULL;
	}
	c->p += len;
	c->left -= len;
	return p;
}

static uint32_t get_u32(struct cursor *c)
{
	const unsigned char *p = take(c, 4);

	return p ? (uint32_t)p[0] | (uint32_t)p[1] << 8 |
		   (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24 : 0;
}

static uint64_t get_u64(struct cursor *c)
{
	uint64_t lo = get_u32(c);

	return lo | (uint64_t)get_u32(c) << 32;
}

/* LEN and bytes; *OUT points into the buffer (not NUL-terminated). */
static const void *get_bytes(struct cursor *c, uint32_t *len)
{
	*len = get_u32(c);
	return take(c, *len);
}

/*
 * A string as a C string in the cursor's scratch buffer (valid until the
 * next get_str into the same slot); one with a NUL inside is refused.
 * The tree copies what it keeps: no allocation per name here.
 */
static const char *get_str(struct cursor *c, int slot, bool *oom)
{
	uint32_t len;
	const char *p = get_bytes(c, &len);
	struct scratch *s = &c->scratch[slot];

	if (!p || memchr(p, '\0', len)) {
		c->bad = true;
		return NULL;
	}
	if (s->cap <= len) {
		size_t cap = len + 64;
		char *b = realloc(s->buf, cap);

		if (!b) {
			*oom = true;
			return NULL;
		}
		s->buf = b;
		s->cap = cap;
	}
	memcpy(s->buf, p, len);
	s->buf[len] = '\0';
	return s->buf;
}

static void get_time(struct cursor *c, struct timespec *t)
{
	t->tv_sec = (time_t)get_u64(c);
	t->tv_nsec = (long)get_u32(c);
	if (t->tv_nsec >= 1000000000L)
		c->bad = true;
}

static int corrupt(struct error **err, const char *what)
{
	return error_set(err, EBADMSG, "saved tree: %s", what);
}

/* Node I (I == img->count) from C, into IMG. */
static int get_node(struct cursor *c, uint32_t i, struct image *img,
		    struct error **err)
{
	struct image_attr a = { 0 };
	const char *name, *link, *ref;
	uint32_t parent, nx, k, out;
	bool oom = false;

	parent = get_u32(c);
	name = get_str(c, STR_NAME, &oom);
	a.mode = get_u32(c);
	a.uid = get_u32(c);
	a.gid = get_u32(c);
	a.size = get_u64(c);
	a.blocks = get_u64(c);
	a.rdev = (dev_t)get_u64(c);
	get_time(c, &a.atime);
	get_time(c, &a.mtime);
	get_time(c, &a.ctime);
	link = get_str(c, STR_LINK, &oom);
	ref = get_str(c, STR_REF, &oom);
	a.src_off = get_u64(c);
	if (oom)
		return error_set(err, ENOMEM, "saved tree: node %u", i);
	if (c->bad)
		return corrupt(err, "truncated node");
	a.link = *link ? link : NULL;
	a.src_ref = *ref ? ref : NULL;
	if (i == 0) {
		if (*name)
			return corrupt(err, "the root has a name");
		if (image_add_root(img, &a, err) < 0)
			return -1;
	} else if (parent >= i) {
		return corrupt(err, "a parent after its entry");
	} else if (image_add(img, parent, name, &a, &out, err) < 0) {
		return -1;
	}
	nx = get_u32(c);
	for (k = 0; k < nx && !c->bad; k++) {
		const char *xname = get_str(c, STR_NAME, &oom);
		uint32_t vlen;
		const void *v = get_bytes(c, &vlen);

		if (oom || c->bad)
			break;
		if (image_add_xattr(img, i, xname, v, vlen, err) < 0)
			return -1;
	}
	if (oom)
		return error_set(err, ENOMEM, "saved tree: node %u", i);
	if (c->bad)
		return corrupt(err, "truncated xattrs");
	return 0;
}

static int get_links(struct cursor *c, uint32_t n, struct image *img,
		     struct error **err)
{
	uint32_t i, dir, node;
	bool oom = false;

	for (i = 0; i < n; i++) {
		const char *name;

		dir = get_u32(c);
		node = get_u32(c);
		name = get_str(c, STR_NAME, &oom);
		if (oom)
			return error_set(err, ENOMEM, "saved tree: link");
		if (c->bad)
			return corrupt(err, "truncated links");
		/* image_link checks NODE, add_dirent that DIR is a directory */
		if (dir >= img->count)
			return corrupt(err, "a link into no directory");
		if (image_link(img, dir, name, node, err) < 0)
			return -1;
	}
	return 0;
}

static int get_files(struct cursor *c, uint32_t n, struct flat_result *flat,
		     struct error **err)
{
	uint32_t i;

	/* each takes 20 bytes: a count beyond what is left is a lie */
	if ((uint64_t)n * 20 > c->left)
		return corrupt(err, "file count beyond the body");
	flat->files = calloc(n ? n : 1, sizeof(*flat->files));
	if (!flat->files)
		return error_set(err, ENOMEM, "saved tree: %u files", n);
	flat->nfiles = n;
	for (i = 0; i < n; i++) {
		flat->files[i].layer = get_u32(c);
		flat->files[i].data_off = get_u64(c);
		flat->files[i].size = get_u64(c);
	}
	return c->bad ? corrupt(err, "truncated files") : 0;
}

/* Every regular file names a file entry of the same size. */
static int check_files(const struct image *img, const struct flat_result *flat,
		       struct error **err)
{
	uint32_t i;

	for (i = 0; i < img->count; i++) {
		const struct image_node *n = &img->nodes[i];

		if (!S_ISREG(n->mode))
			continue;
		if (n->src_off >= flat->nfiles ||
		    flat->files[n->src_off].size != n->size)
			return corrupt(err, "a file without its data's place");
	}
	return 0;
}

static int check_header(struct cursor *c, const char *identity,
			const void **body, size_t *body_len,
			struct error **err)
{
	const void *m = take(c, sizeof(magic)), *id, *md;
	uint32_t version, idlen;
	uint64_t blen;
	uint8_t got[32];

	if (!m || memcmp(m, magic, sizeof(magic)))
		return corrupt(err, "not a saved tree");
	version = get_u32(c);
	if (!c->bad && version != SAVED_TREE_VERSION)
		return error_set(err, EPROTO, "saved tree: version %u, not %u",
				 version, SAVED_TREE_VERSION);
	id = get_bytes(c, &idlen);
	blen = get_u64(c);
	md = take(c, 32);
	if (c->bad)
		return corrupt(err, "truncated header");
	if (idlen != strlen(identity) || memcmp(id, identity, idlen))
		return error_set(err, ESTALE, "saved tree: of another source");
	if (blen != c->left)
		return corrupt(err, "body length does not match the file");
	if (sha256_buf(c->p, c->left, got) < 0)
		return error_set(err, ENOMEM, "saved tree: checksum");
	if (memcmp(got, md, sizeof(got)))
		return corrupt(err, "checksum mismatch");
	*body = c->p;
	*body_len = c->left;
	return 0;
}

int saved_tree_decode(const void *buf, size_t len, const char *identity,
		      struct image *img, struct flat_result *flat,
		      struct error **err)
{
	struct cursor c = { .p = buf, .left = len };
	uint32_t nodes, nfiles, nlinks, i;
	const void *body;
	size_t blen;

	memset(flat, 0, sizeof(*flat));
	if (check_header(&c, identity, &body, &blen, err) < 0)
		return -1;
	nodes = get_u32(&c);
	nfiles = get_u32(&c);
	nlinks = get_u32(&c);
	if (c.bad || nodes == 0)
		return corrupt(err, "no entries");
	/* a node takes at least 80 bytes: a count beyond that is a lie */
	if ((uint64_t)nodes * 80 > c.left)
		return corrupt(err, "node count beyond the body");
	if (image_reserve(img, nodes, err) < 0)
		return -1;
	for (i = 0; i < nodes; i++)
		if (get_node(&c, i, img, err) < 0)
			goto fail;
	if (get_links(&c, nlinks, img, err) < 0 ||
	    get_files(&c, nfiles, flat, err) < 0)
		goto fail;
	if (c.left) {
		corrupt(err, "bytes after the files");
		goto fail;
	}
	if (image_finalize(img, err) < 0 || check_files(img, flat, err) < 0)
		goto fail;
	cursor_free(&c);
	return 0;
fail:
	cursor_free(&c);
	image_free(img);
	image_init(img);
	flat_result_free(flat);
	memset(flat, 0, sizeof(*flat));
	return -1;
}

int saved_tree_save(const char *path, const struct image *img,
		    const struct flat_result *flat, const char *identity,
		    struct error **err)
{
	void *buf;
	size_t len;
	int ret;

	if (saved_tree_encode(img, flat, identity, &buf, &len, err) < 0)
		return -1;
	ret = file_replace_bytes(path, 0600, FILE_DURABLE, buf, len, err);
	free(buf);
	return ret;
}

int saved_tree_load(const char *path, const char *identity, struct image *img,
		    struct flat_result *flat, struct error **err)
{
	struct stat st;
	void *buf;
	int fd, ret;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return error_set(err, errno, "open %s", path);
	if (fstat(fd, &st) < 0) {
		ret = error_set(err, errno, "stat %s", path);
		close(fd);
		return ret;
	}
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size > SAVED_TREE_MAX) {
		close(fd);
		return error_set(err, EFBIG, "%s: not a saved tree", path);
	}
	buf = malloc(st.st_size ? (size_t)st.st_size : 1);
	if (!buf) {
		close(fd);
		return error_set(err, ENOMEM, "read %s", path);
	}
	if (pread_all(fd, buf, (size_t)st.st_size, 0) < 0) {
		ret = error_set(err, errno, "read %s", path);
	} else {
		ret = saved_tree_decode(buf, (size_t)st.st_size, identity, img,
					flat, err);
		if (ret < 0)
			error_wrap(err, "%s", path);
	}
	free(buf);
	close(fd);
	return ret;
}
