// SPDX-License-Identifier: MIT
/*
 * One handler per FUSE opcode, and the ops table at the end that shows
 * the whole server. The image is immutable: every handler reads it
 * without locks, and anything that would change it gets EROFS.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "fuse_req.h"
#include "session.h"

/* "Infinite": about a century, well inside what the kernel accepts. */
#define TIMEOUT_INFINITE (100ull * 365 * 24 * 3600)
#define READ_MAX (1u << 20)

static uint32_t node_of(struct fuse_req *r)
{
	return image_node_of(&r->fs->img, r->in->nodeid);
}

static void fill_attr(struct lowerfs *fs, uint32_t idx, struct fuse_attr *a)
{
	const struct image_node *n = &fs->img.nodes[idx];

	memset(a, 0, sizeof(*a));
	a->ino = image_nodeid(idx);
	a->size = S_ISDIR(n->mode) ? 4096 : n->size;
	a->blocks = n->blocks;
	a->atime = (uint64_t)n->atime.tv_sec;
	a->atimensec = (uint32_t)n->atime.tv_nsec;
	a->mtime = (uint64_t)n->mtime.tv_sec;
	a->mtimensec = (uint32_t)n->mtime.tv_nsec;
	a->ctime = (uint64_t)n->ctime.tv_sec;
	a->ctimensec = (uint32_t)n->ctime.tv_nsec;
	a->mode = n->mode;
	a->nlink = n->nlink;
	a->uid = n->uid;
	a->gid = n->gid;
	/* the kernel's new_decode_dev() layout */
	a->rdev = (uint32_t)((minor(n->rdev) & 0xff) |
			     (major(n->rdev) << 8) |
			     ((minor(n->rdev) & ~0xffu) << 12));
	a->blksize = 4096;
}

static void fill_entry(struct lowerfs *fs, uint32_t idx, struct fuse_entry_out *e)
{
	memset(e, 0, sizeof(*e));
	e->nodeid = image_nodeid(idx);
	e->generation = 1;
	e->entry_valid = fs->timeout_sec;
	e->entry_valid_nsec = fs->timeout_nsec;
	e->attr_valid = fs->timeout_sec;
	e->attr_valid_nsec = fs->timeout_nsec;
	fill_attr(fs, idx, &e->attr);
}

static void op_init(struct fuse_req *r, const void *arg, size_t len)
{
	const struct fuse_init_in *in = arg;
	struct lowerfs *fs = r->fs;
	struct fuse_init_out out = { 0 };
	uint64_t want, offered;

	if (len < offsetof(struct fuse_init_in, flags2) || in->major != 7 ||
	    in->minor < 31) {
		lowerfs_log("kernel FUSE protocol %u.%u is too old (need 7.31)",
			    in->major, in->minor);
		reply_err(r, EPROTO);
		return;
	}
	offered = in->flags;
	if ((in->flags & FUSE_INIT_EXT) && len >= sizeof(*in))
		offered |= (uint64_t)in->flags2 << 32;

	want = FUSE_ASYNC_READ | FUSE_DO_READDIRPLUS | FUSE_PARALLEL_DIROPS |
	       FUSE_MAX_PAGES | FUSE_CACHE_SYMLINKS | FUSE_INIT_EXT;
	/*
	 * By default no file handles at all, so nothing above can ever need
	 * this server to decode one. --export-support makes node ids
	 * decodable (they are stable), which overlayfs' index=on requires
	 * of every layer, also data-only ones.
	 */
	want |= fs->opts.export_support ? FUSE_EXPORT_SUPPORT :
					  FUSE_NO_EXPORT_SUPPORT;
	if (!fs->opts.no_passthrough)
		want |= FUSE_PASSTHROUGH;
	want &= offered;

	fs->proto_minor = in->minor < LOWERFS_PROTO_MINOR ? in->minor :
							    LOWERFS_PROTO_MINOR;
	/* zero-message opendir: the kernel then caches listings by itself */
	fs->no_opendir = (offered & FUSE_NO_OPENDIR_SUPPORT) != 0;
	fs->passthrough = (want & FUSE_PASSTHROUGH) != 0;
	if (!fs->opts.no_passthrough && !fs->passthrough)
		lowerfs_log("kernel offers no FUSE passthrough: serving reads");

	out.major = 7;
	out.minor = fs->proto_minor;
	out.max_readahead = in->max_readahead;
	out.flags = (uint32_t)want;
	out.flags2 = (uint32_t)(want >> 32);
	out.max_background = 64;
	out.congestion_threshold = 48;
	out.max_write = 128 * 1024;
	out.time_gran = 1;
	out.max_pages = READ_MAX / 4096;
	if (fs->passthrough)
		init_out_set_max_stack_depth(&out, 1);
	session_save(fs);	/* for a lowerfs that may take over later */
	reply_data(r, &out, sizeof(out));
}

static void op_destroy(struct fuse_req *r, const void *arg, size_t len)
{
	(void)arg;
	(void)len;
	reply_err(r, 0);
	lowerfs_request_exit(r->fs, "unmounted (FUSE_DESTROY)");
}

static void op_lookup(struct fuse_req *r, const void *arg, size_t len)
{
	struct fuse_entry_out e;
	uint32_t dir = node_of(r), child;
	const char *name = arg;
	size_t namelen = strnlen(name, len);

	if (dir == IMAGE_NONE || namelen == len) {
		reply_err(r, EINVAL);
		return;
	}
	if (!strcmp(name, "."))		/* export support: node by id */
		child = dir;
	else if (!strcmp(name, ".."))	/* export support: parent by id */
		child = dir == 0 ? 0 : r->fs->img.nodes[dir].parent;
	else
		child = image_lookup(&r->fs->img, dir, name, namelen);
	if (child == IMAGE_NONE) {
		/* a cacheable negative entry: the image never gains names */
		memset(&e, 0, sizeof(e));
		e.entry_valid = r->fs->timeout_sec;
		e.entry_valid_nsec = r->fs->timeout_nsec;
		reply_data(r, &e, sizeof(e));
		return;
	}
	fill_entry(r->fs, child, &e);
	atomic_fetch_add(&r->fs->nodes[child].lookups, 1);
	reply_data(r, &e, sizeof(e));
}

static void forget_one(struct lowerfs *fs, uint64_t nodeid, uint64_t nlookup)
{
	uint32_t idx = image_node_of(&fs->img, nodeid);
	atomic_uint_fast64_t *l;
	uint64_t cur;

	if (idx == IMAGE_NONE)
		return;
	l = &fs->nodes[idx].lookups;
	cur = atomic_load(l);
	/* never below zero, even if the kernel over-forgets */
	while (!atomic_compare_exchange_weak(l, &cur,
					     cur > nlookup ? cur - nlookup : 0))
		;
}

static void op_forget(struct fuse_req *r, const void *arg, size_t len)
{
	const struct fuse_forget_in *in = arg;

	if (len >= sizeof(*in))
		forget_one(r->fs, r->in->nodeid, in->nlookup);
}

static void op_batch_forget(struct fuse_req *r, const void *arg, size_t len)
{
	const struct fuse_batch_forget_in *in = arg;
	const struct fuse_forget_one *one = (const void *)(in + 1);
	uint32_t i;

	if (len < sizeof(*in) ||
	    in->count > (len - sizeof(*in)) / sizeof(*one))
		return;
	for (i = 0; i < in->count; i++)
		forget_one(r->fs, one[i].nodeid, one[i].nlookup);
}

static void op_getattr(struct fuse_req *r, const void *arg, size_t len)
{
	struct fuse_attr_out out = { 0 };
	uint32_t idx = node_of(r);

	(void)arg;
	(void)len;
	if (idx == IMAGE_NONE) {
		reply_err(r, ENOENT);
		return;
	}
	out.attr_valid = r->fs->timeout_sec;
	out.attr_valid_nsec = r->fs->timeout_nsec;
	fill_attr(r->fs, idx, &out.attr);
	reply_data(r, &out, sizeof(out));
}

static void op_readlink(struct fuse_req *r, const void *arg, size_t len)
{
	uint32_t idx = node_of(r);
	const struct image_node *n;

	(void)arg;
	(void)len;
	if (idx == IMAGE_NONE) {
		reply_err(r, ENOENT);
		return;
	}
	n = &r->fs->img.nodes[idx];
	if (!S_ISLNK(n->mode)) {
		reply_err(r, EINVAL);
		return;
	}
	reply_data(r, n->link, strlen(n->link));
}

static void op_open(struct fuse_req *r, const void *arg, size_t len)
{
	const struct fuse_open_in *in = arg;
	struct fuse_open_out out = { 0 };
	struct error *err = NULL;
	uint32_t idx = node_of(r);
	int backing_id = 0;

	if (idx == IMAGE_NONE || len < sizeof(*in)) {
		reply_err(r, EINVAL);
		return;
	}
	if ((in->flags & O_ACCMODE) != O_RDONLY || (in->flags & O_TRUNC)) {
		reply_err(r, EROFS);
		return;
	}
	if (!S_ISREG(r->fs->img.nodes[idx].mode)) {
		reply_err(r, EINVAL);
		return;
	}
	if (node_data_open(r->fs, idx, &backing_id, &err) < 0) {
		char *path = image_path(&r->fs->img, idx);

		lowerfs_log("open /%s: %s", path ? path : "?", err->msg);
		free(path);
		reply_err(r, EIO);	/* never partial or wrong data */
		error_free(&err);
		return;
	}
	out.fh = image_nodeid(idx);
	if (backing_id > 0) {
		out.open_flags = FOPEN_PASSTHROUGH;
		open_out_set_backing_id(&out, backing_id);
	} else {
		out.open_flags = FOPEN_KEEP_CACHE;	/* data never changes */
	}
	reply_data(r, &out, sizeof(out));
}

static void op_read(struct fuse_req *r, const void *arg, size_t len)
{
	const struct fuse_read_in *in = arg;
	struct node_state *ns;
	uint32_t idx = node_of(r);
	size_t size;
	ssize_t n;
	char *buf;

	if (idx == IMAGE_NONE || len < sizeof(*in) || in->offset > INT64_MAX) {
		reply_err(r, EINVAL);
		return;
	}
	ns = &r->fs->nodes[idx];
	if (!ns->chunked && ns->data_fd < 0 &&
	    node_data_reopen(r->fs, idx) < 0) {
		reply_err(r, EIO);	/* opened before a takeover, data gone */
		return;
	}
	size = in->size < READ_MAX ? in->size : READ_MAX;
	buf = malloc(size ? size : 1);
	if (!buf) {
		reply_err(r, ENOMEM);
		return;
	}
	if (ns->chunked) {
		struct error *err = NULL;

		n = node_read_chunked(r->fs, idx, in->offset, buf, size, &err);
		if (n < 0) {
			char *path = image_path(&r->fs->img, idx);

			lowerfs_log("read /%s at %llu: %s", path ? path : "?",
				    (unsigned long long)in->offset, err->msg);
			free(path);
			error_free(&err);
			errno = EIO;	/* never partial or wrong data */
		}
	} else {
		/* the fd stays open while this file is open: OPEN came first */
		n = pread(ns->data_fd, buf, size, (off_t)in->offset);
	}
	if (n < 0) {
		reply_err(r, errno);
	} else {
		atomic_fetch_add(&r->fs->stats.bytes_read, (uint64_t)n);
		reply_data(r, buf, (size_t)n);
	}
	free(buf);
}

static void op_release(struct fuse_req *r, const void *arg, size_t len)
{
	uint32_t idx = node_of(r);

	(void)arg;
	(void)len;
	if (idx != IMAGE_NONE)
		node_data_release(r->fs, idx);
	reply_err(r, 0);
}

static void op_opendir(struct fuse_req *r, const void *arg, size_t len)
{
	struct fuse_open_out out = { 0 };
	uint32_t idx = node_of(r);

	(void)arg;
	(void)len;
	if (idx == IMAGE_NONE || !S_ISDIR(r->fs->img.nodes[idx].mode)) {
		reply_err(r, ENOTDIR);
		return;
	}
	/*
	 * ENOSYS once makes the kernel stop sending OPENDIR and RELEASEDIR
	 * and treat every directory as FOPEN_KEEP_CACHE | FOPEN_CACHE_DIR:
	 * the same flags, two round trips fewer per directory open.
	 */
	if (r->fs->no_opendir) {
		reply_err(r, ENOSYS);
		return;
	}
	out.fh = image_nodeid(idx);
	out.open_flags = FOPEN_CACHE_DIR | FOPEN_KEEP_CACHE;
	reply_data(r, &out, sizeof(out));
}

static void op_releasedir(struct fuse_req *r, const void *arg, size_t len)
{
	(void)arg;
	(void)len;
	reply_err(r, 0);
}

/*
 * Directory offsets: 0 is ".", 1 is "..", 2 + i is child i. Each entry
 * records the offset of the next one.
 */
static void readdir_common(struct fuse_req *r, const void *arg, size_t len,
			   bool plus)
{
	const struct fuse_read_in *in = arg;
	struct lowerfs *fs = r->fs;
	uint32_t idx = node_of(r);
	const struct image_node *d;
	size_t size, used = 0;
	uint64_t off;
	char *buf;

	if (idx == IMAGE_NONE || len < sizeof(*in)) {
		reply_err(r, EINVAL);
		return;
	}
	d = &fs->img.nodes[idx];
	if (!S_ISDIR(d->mode)) {
		reply_err(r, ENOTDIR);
		return;
	}
	size = in->size < READ_MAX ? in->size : READ_MAX;
	buf = calloc(1, size ? size : 1);
	if (!buf) {
		reply_err(r, ENOMEM);
		return;
	}
	for (off = in->offset; off < (uint64_t)d->nchildren + 2; off++) {
		const char *name;
		uint32_t child;
		size_t namelen, entlen;

		if (off == 0) {
			name = ".";
			child = idx;
		} else if (off == 1) {
			name = "..";
			child = d->parent == IMAGE_NONE ? idx : d->parent;
		} else {
			name = d->children[off - 2].name;
			child = d->children[off - 2].node;
		}
		namelen = strlen(name);
		entlen = plus ? FUSE_NAME_OFFSET_DIRENTPLUS : FUSE_NAME_OFFSET;
		entlen = FUSE_DIRENT_ALIGN(entlen + namelen);
		if (used + entlen > size)
			break;
		if (plus) {
			struct fuse_direntplus *dp = (void *)(buf + used);

			/* "." and ".." carry no entry: the kernel skips them */
			if (off >= 2) {
				fill_entry(fs, child, &dp->entry_out);
				atomic_fetch_add(&fs->nodes[child].lookups, 1);
			}
			dp->dirent.ino = image_nodeid(child);
			dp->dirent.off = off + 1;
			dp->dirent.namelen = (uint32_t)namelen;
			dp->dirent.type = (fs->img.nodes[child].mode & S_IFMT) >> 12;
			memcpy(dp->dirent.name, name, namelen);
		} else {
			struct fuse_dirent *de = (void *)(buf + used);

			de->ino = image_nodeid(child);
			de->off = off + 1;
			de->namelen = (uint32_t)namelen;
			de->type = (fs->img.nodes[child].mode & S_IFMT) >> 12;
			memcpy(de->name, name, namelen);
		}
		used += entlen;
	}
	reply_data(r, buf, used);
	free(buf);
}

static void op_readdir(struct fuse_req *r, const void *arg, size_t len)
{
	readdir_common(r, arg, len, false);
}

static void op_readdirplus(struct fuse_req *r, const void *arg, size_t len)
{
	readdir_common(r, arg, len, true);
}

static void op_statfs(struct fuse_req *r, const void *arg, size_t len)
{
	struct fuse_statfs_out out = { 0 };

	(void)arg;
	(void)len;
	out.st.bsize = 4096;
	out.st.frsize = 4096;
	/* no tree yet (loading in the background): no counts, never a wait */
	if (tree_ready(r->fs)) {
		out.st.blocks = (r->fs->img.total_bytes + 4095) / 4096;
		out.st.files = r->fs->img.count;
	}
	out.st.namelen = 255;
	reply_data(r, &out, sizeof(out));
}

/* Shared by GETXATTR and LISTXATTR: size 0 asks for the length only. */
static void reply_sized(struct fuse_req *r, uint32_t want, const void *data,
			size_t len)
{
	if (want == 0) {
		struct fuse_getxattr_out out = { .size = (uint32_t)len };

		reply_data(r, &out, sizeof(out));
	} else if (want < len) {
		reply_err(r, ERANGE);
	} else {
		reply_data(r, data, len);
	}
}

static void op_getxattr(struct fuse_req *r, const void *arg, size_t len)
{
	const struct fuse_getxattr_in *in = arg;
	const char *name = (const char *)(in + 1);
	uint32_t idx = node_of(r), i;
	const struct image_node *n;

	if (idx == IMAGE_NONE || len <= sizeof(*in) ||
	    strnlen(name, len - sizeof(*in)) == len - sizeof(*in)) {
		reply_err(r, EINVAL);
		return;
	}
	n = &r->fs->img.nodes[idx];
	for (i = 0; i < n->nxattrs; i++) {
		if (!strcmp(n->xattrs[i].name, name)) {
			reply_sized(r, in->size, n->xattrs[i].value,
				    n->xattrs[i].size);
			return;
		}
	}
	reply_err(r, ENODATA);
}

static void op_listxattr(struct fuse_req *r, const void *arg, size_t len)
{
	const struct fuse_getxattr_in *in = arg;
	uint32_t idx = node_of(r), i;
	const struct image_node *n;
	size_t total = 0, pos = 0;
	char *list;

	if (idx == IMAGE_NONE || len < sizeof(*in)) {
		reply_err(r, EINVAL);
		return;
	}
	n = &r->fs->img.nodes[idx];
	for (i = 0; i < n->nxattrs; i++)
		total += strlen(n->xattrs[i].name) + 1;
	list = malloc(total ? total : 1);
	if (!list) {
		reply_err(r, ENOMEM);
		return;
	}
	for (i = 0; i < n->nxattrs; i++) {
		size_t l = strlen(n->xattrs[i].name) + 1;

		memcpy(list + pos, n->xattrs[i].name, l);
		pos += l;
	}
	reply_sized(r, in->size, list, total);
	free(list);
}

static void op_access(struct fuse_req *r, const void *arg, size_t len)
{
	(void)arg;
	(void)len;
	/* default_permissions: the kernel checks modes itself */
	reply_err(r, 0);
}

/* A chunked file has no local fd: all data, no holes. */
static off_t chunked_lseek(uint64_t size, const struct fuse_lseek_in *in)
{
	if ((in->whence != SEEK_DATA && in->whence != SEEK_HOLE) ||
	    in->offset >= size) {
		errno = in->whence == SEEK_DATA || in->whence == SEEK_HOLE ?
			ENXIO : EINVAL;
		return -1;
	}
	return in->whence == SEEK_DATA ? (off_t)in->offset : (off_t)size;
}

static void op_lseek(struct fuse_req *r, const void *arg, size_t len)
{
	const struct fuse_lseek_in *in = arg;
	struct fuse_lseek_out out;
	uint32_t idx = node_of(r);
	off_t pos;

	if (idx == IMAGE_NONE || len < sizeof(*in) || in->offset > INT64_MAX) {
		reply_err(r, EINVAL);
		return;
	}
	if (r->fs->nodes[idx].chunked)
		pos = chunked_lseek(r->fs->img.nodes[idx].size, in);
	else
		pos = lseek(r->fs->nodes[idx].data_fd, (off_t)in->offset,
			    (int)in->whence);
	if (pos < 0) {
		reply_err(r, errno);
		return;
	}
	out.offset = (uint64_t)pos;
	reply_data(r, &out, sizeof(out));
}

static void op_read_only(struct fuse_req *r, const void *arg, size_t len)
{
	(void)arg;
	(void)len;
	reply_err(r, EROFS);
}

static void op_ioctl(struct fuse_req *r, const void *arg, size_t len)
{
	(void)arg;
	(void)len;
	reply_err(r, ENOTTY);
}

const struct fuse_op lowerfs_ops[LOWERFS_MAX_OPCODE] = {
	[FUSE_INIT]		= { "INIT", op_init, false },
	[FUSE_DESTROY]		= { "DESTROY", op_destroy, false },
	[FUSE_LOOKUP]		= { "LOOKUP", op_lookup, false },
	[FUSE_FORGET]		= { "FORGET", op_forget, true },
	[FUSE_BATCH_FORGET]	= { "BATCH_FORGET", op_batch_forget, true },
	[FUSE_GETATTR]		= { "GETATTR", op_getattr, false },
	[FUSE_READLINK]		= { "READLINK", op_readlink, false },
	[FUSE_OPEN]		= { "OPEN", op_open, false },
	[FUSE_READ]		= { "READ", op_read, false },
	[FUSE_RELEASE]		= { "RELEASE", op_release, false },
	[FUSE_OPENDIR]		= { "OPENDIR", op_opendir, false },
	[FUSE_READDIR]		= { "READDIR", op_readdir, false },
	[FUSE_READDIRPLUS]	= { "READDIRPLUS", op_readdirplus, false },
	[FUSE_RELEASEDIR]	= { "RELEASEDIR", op_releasedir, false },
	[FUSE_STATFS]		= { "STATFS", op_statfs, false },
	[FUSE_GETXATTR]		= { "GETXATTR", op_getxattr, false },
	[FUSE_LISTXATTR]	= { "LISTXATTR", op_listxattr, false },
	[FUSE_ACCESS]		= { "ACCESS", op_access, false },
	[FUSE_LSEEK]		= { "LSEEK", op_lseek, false },
	[FUSE_IOCTL]		= { "IOCTL", op_ioctl, false },
	[FUSE_SETATTR]		= { "SETATTR", op_read_only, false },
	[FUSE_MKNOD]		= { "MKNOD", op_read_only, false },
	[FUSE_MKDIR]		= { "MKDIR", op_read_only, false },
	[FUSE_UNLINK]		= { "UNLINK", op_read_only, false },
	[FUSE_RMDIR]		= { "RMDIR", op_read_only, false },
	[FUSE_RENAME]		= { "RENAME", op_read_only, false },
	[FUSE_RENAME2]		= { "RENAME2", op_read_only, false },
	[FUSE_LINK]		= { "LINK", op_read_only, false },
	[FUSE_SYMLINK]		= { "SYMLINK", op_read_only, false },
	[FUSE_CREATE]		= { "CREATE", op_read_only, false },
	[FUSE_WRITE]		= { "WRITE", op_read_only, false },
	[FUSE_SETXATTR]		= { "SETXATTR", op_read_only, false },
	[FUSE_REMOVEXATTR]	= { "REMOVEXATTR", op_read_only, false },
	[FUSE_FALLOCATE]	= { "FALLOCATE", op_read_only, false },
	[FUSE_FLUSH]		= { "FLUSH", NULL, false },
	[FUSE_FSYNC]		= { "FSYNC", NULL, false },
	[FUSE_FSYNCDIR]		= { "FSYNCDIR", NULL, false },
	[FUSE_INTERRUPT]	= { "INTERRUPT", NULL, true },
	[LOWERFS_OP_STATX]		= { "STATX", NULL, false },
	[FUSE_POLL]		= { "POLL", NULL, false },
};
