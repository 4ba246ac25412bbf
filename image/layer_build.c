// SPDX-License-Identifier: MIT
/*
 * layer_index_build: libarchive parses the tar, pulling uncompressed
 * blocks through its read callback from layer_stream, which in turn
 * pulls compressed bytes from the caller. Each header tells where its
 * file's data starts: after archive_read_next_header() every header of
 * the entry (pax 'x', GNU 'L'/'K', the ustar block) is consumed, so the
 * bytes consumed so far (archive_filter_bytes(a, 0)) are the data offset.
 */
#include "layer_index.h"
#include "layer_priv.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <inttypes.h>
#include <locale.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../common/util.h"
#include "name_set.h"

struct build {
	struct layer_index *idx;
	struct layer_stream *stream;
	struct error *stream_err;	/* a failure inside the read callback */
	uint64_t handed;		/* uncompressed bytes given to libarchive */
	uint64_t nonzero_end;		/* just past the last nonzero byte given */
	uint32_t cap;
	struct layer_paths paths;
};

static void note_nonzero(struct build *b, const uint8_t *p, size_t len)
{
	size_t i = len;
	uint64_t w;

	/* a word at a time: zero-filled files can be large */
	while (i >= 8) {
		memcpy(&w, p + i - 8, 8);
		if (w)
			break;
		i -= 8;
	}
	while (i && !p[i - 1])
		i--;
	if (i)
		b->nonzero_end = b->handed + i;
	b->handed += len;
}

static la_ssize_t read_cb(struct archive *a, void *ctx, const void **buf)
{
	struct build *b = ctx;
	size_t len;

	if (b->stream_err) {
		archive_set_error(a, EIO, "%s", b->stream_err->msg);
		return -1;
	}
	if (layer_stream_read(b->stream, buf, &len, &b->stream_err) < 0) {
		archive_set_error(a, b->stream_err->errnum ? b->stream_err->errnum : EIO,
				  "%s", b->stream_err->msg);
		return -1;
	}
	note_nonzero(b, *buf, len);
	return (la_ssize_t)len;
}

/* The stream's own error says more than libarchive's copy of it. */
static int tar_error(struct build *b, struct archive *a, const char *what,
		     struct error **err)
{
	if (b->stream_err) {
		*err = b->stream_err;
		b->stream_err = NULL;
		return -1;
	}
	return error_set(err, 0, "layer: tar: %s%s%s", what, *what ? ": " : "",
			 archive_error_string(a) ? archive_error_string(a) : "unknown error");
}

static void reject(struct build *b, const char *name, const char *why)
{
	char *shown = layer_path_printable(name ? name : "");

	b->idx->rejected++;
	log_line("layer", "rejected tar entry \"%s\": %s", shown ? shown : "?", why);
	free(shown);
}

static void get_time(struct timespec *ts, time_t sec, long nsec)
{
	ts->tv_sec = sec;
	ts->tv_nsec = nsec >= 0 && nsec < 1000000000 ? nsec : 0;
}

static void fill_times(struct layer_entry *e, struct archive_entry *ae)
{
	get_time(&e->mtime, archive_entry_mtime(ae), archive_entry_mtime_nsec(ae));
	e->atime = e->mtime;
	e->ctime = e->mtime;
	if (archive_entry_atime_is_set(ae))
		get_time(&e->atime, archive_entry_atime(ae), archive_entry_atime_nsec(ae));
	if (archive_entry_ctime_is_set(ae))
		get_time(&e->ctime, archive_entry_ctime(ae), archive_entry_ctime_nsec(ae));
}

/* Bytes an xattr costs against the caps: its name and its value. */
static size_t xattr_cost(const char *name, size_t size)
{
	return strlen(name) + size;
}

/* NULL when the entry is fine, else why it is left out; *oom on ENOMEM. */
static const char *fill_xattrs(struct layer_entry *e, struct archive_entry *ae,
			       bool *oom)
{
	int n = archive_entry_xattr_reset(ae);
	struct name_set byname;
	const char *name, *why = NULL;
	const void *value;
	size_t size, total = 0;

	if (n <= 0)
		return NULL;
	if ((unsigned)n > LAYER_XATTRS_MAX)
		return "more than 1024 xattrs";
	e->xattrs = calloc((size_t)n, sizeof(*e->xattrs));
	if (!e->xattrs)
		goto oom;
	/* the array never moves: the set points into it */
	name_set_init(&byname, offsetof(struct layer_xattr, name));
	while (e->nxattrs < (uint32_t)n &&
	       archive_entry_xattr_next(ae, &name, &value, &size) == ARCHIVE_OK) {
		struct layer_xattr *x;

		if (!name || !*name || strlen(name) > LAYER_XATTR_NAME_MAX) {
			why = "bad xattr name";
			break;
		}
		if (size > LAYER_XATTR_SIZE_MAX) {
			why = "xattr value larger than 64 KiB";
			break;
		}
		/* pax has SCHILY.xattr and LIBARCHIVE.xattr: the later one wins */
		x = name_set_find(&byname, name, strlen(name));
		if (x)
			total -= xattr_cost(name, x->size);
		/* checked before the copy: the entry never holds more */
		total += xattr_cost(name, size);
		if (total > LAYER_XATTR_ENTRY_MAX) {
			why = "xattrs larger than 64 KiB in all (names and values)";
			break;
		}
		if (x) {
			free(x->value);
			x->value = NULL;
		} else {
			x = &e->xattrs[e->nxattrs];
			x->name = strdup(name);
			if (!x->name || name_set_add(&byname, x) < 0) {
				free(x->name);
				x->name = NULL;
				goto oom_set;
			}
			e->nxattrs++;
		}
		x->value = malloc(size ? size : 1);
		if (!x->value)
			goto oom_set;
		if (size)
			memcpy(x->value, value, size);
		x->size = size;
	}
	name_set_free(&byname);
	return why;
oom_set:
	name_set_free(&byname);
oom:
	*oom = true;
	return "out of memory";
}

/* The layer's xattrs in all stay under LAYER_XATTR_LAYER_MAX: else the layer is refused. */
static int count_xattrs(struct layer_index *idx, const struct layer_entry *e,
			struct error **err)
{
	uint64_t bytes = 0;
	uint32_t k;
	char *shown;

	for (k = 0; k < e->nxattrs; k++)
		bytes += xattr_cost(e->xattrs[k].name, e->xattrs[k].size);
	if (bytes <= LAYER_XATTR_LAYER_MAX - idx->xattr_bytes) {
		idx->xattr_bytes += bytes;
		return 0;
	}
	shown = layer_path_printable(e->path);
	error_set(err, 0, "layer: tar entry \"%s\": the layer's xattrs pass %u MiB in all (names and values)",
		  shown ? shown : "?", LAYER_XATTR_LAYER_MAX >> 20);
	free(shown);
	return -1;
}

/* The hardlink target: an earlier entry of this layer, not a directory. */
static const char *fill_hardlink(struct build *b, struct layer_entry *e,
				 const char *target, struct archive_entry *ae,
				 bool *oom)
{
	const char *why;
	int64_t t;

	e->kind = LAYER_ENTRY_HARDLINK;
	if (!*e->path)
		return "the root is not a directory";
	e->hardlink = layer_path_normalize(target, &why);
	if (!e->hardlink) {
		*oom = !why;
		return why ? "hardlink target absolute, with \"..\" or a bad name" :
			     "out of memory";
	}
	if (!*e->hardlink)
		return "hardlink to the root";
	if (!strcmp(e->hardlink, e->path))
		return "hardlink to itself";
	t = layer_paths_get(&b->paths, b->idx->entries, e->hardlink);
	if (t < 0)
		return "hardlink to an entry not earlier in the layer";
	if (S_ISDIR(b->idx->entries[t].mode))
		return "hardlink to a directory";
	/* a link shares its target's inode: same type; data comes from there */
	e->mode = (b->idx->entries[t].mode & S_IFMT) | (archive_entry_perm(ae) & 07777);
	return NULL;
}

static const char *fill_node(struct layer_entry *e, struct archive_entry *ae,
			     uint64_t data_off, bool *oom)
{
	const char *link;
	la_int64_t size;

	e->mode = archive_entry_mode(ae);
	if (!layer_mode_valid(e->mode))
		return "unsupported file type or mode";
	if (!*e->path && !S_ISDIR(e->mode))
		return "the root is not a directory";
	switch (e->mode & S_IFMT) {
	case S_IFREG:
		size = archive_entry_size(ae);
		if (size < 0)
			return "negative size";
		e->size = (uint64_t)size;
		e->data_off = data_off;
		break;
	case S_IFLNK:
		link = archive_entry_symlink(ae);
		if (!link || !*link)
			return "empty symlink target";
		if (strlen(link) > LAYER_PATH_MAX)
			return "symlink target longer than 4095 bytes";
		e->link = strdup(link);
		if (!e->link) {
			*oom = true;
			return "out of memory";
		}
		break;
	case S_IFCHR:
	case S_IFBLK:
		e->rdev = archive_entry_rdev(ae);
		break;
	}
	return NULL;
}

static const char *fill_entry(struct build *b, struct layer_entry *e,
			      struct archive_entry *ae, uint64_t data_off,
			      bool *oom)
{
	const char *name = archive_entry_pathname(ae), *target, *why;

	if (!name)
		return "name not readable";
	e->path = layer_path_normalize(name, &why);
	if (!e->path) {
		*oom = !why;
		return why ? why : "out of memory";
	}
	if (archive_entry_uid(ae) < 0 || archive_entry_uid(ae) > UINT32_MAX - 1 ||
	    archive_entry_gid(ae) < 0 || archive_entry_gid(ae) > UINT32_MAX - 1)
		return "uid or gid out of range";
	e->uid = (uid_t)archive_entry_uid(ae);
	e->gid = (gid_t)archive_entry_gid(ae);
	fill_times(e, ae);
	target = archive_entry_hardlink(ae);
	why = target ? fill_hardlink(b, e, target, ae, oom) :
		       fill_node(e, ae, data_off, oom);
	return why ? why : fill_xattrs(e, ae, oom);
}

static int add_entry(struct build *b, struct archive_entry *ae,
		     uint64_t data_off, struct error **err)
{
	struct layer_index *idx = b->idx;
	struct layer_entry e = { 0 };
	const char *why;
	bool oom = false;

	if (archive_entry_sparse_count(ae) > 0)
		return error_set(err, 0, "layer: tar entry \"%.200s\": sparse entries are not supported",
				 archive_entry_pathname(ae) ? archive_entry_pathname(ae) : "?");
	why = fill_entry(b, &e, ae, data_off, &oom);
	if (oom) {
		layer_entry_clear(&e);
		return error_set(err, ENOMEM, "layer: entry");
	}
	if (why) {
		reject(b, archive_entry_pathname(ae), why);
		layer_entry_clear(&e);
		return 0;
	}
	if (count_xattrs(idx, &e, err) < 0) {
		layer_entry_clear(&e);
		return -1;
	}
	if (idx->nentries == b->cap) {
		uint32_t cap = b->cap ? b->cap * 2 : 256;
		void *p = b->cap < UINT32_MAX / 2 ?
			  reallocarray(idx->entries, cap, sizeof(*idx->entries)) : NULL;

		if (!p) {
			layer_entry_clear(&e);
			return error_set(err, ENOMEM, "layer: entries");
		}
		idx->entries = p;
		b->cap = cap;
	}
	idx->entries[idx->nentries] = e;
	if (layer_paths_put(&b->paths, idx->entries, idx->nentries) < 0) {
		layer_entry_clear(&idx->entries[idx->nentries]);
		return error_set(err, errno, "layer: entries");
	}
	idx->nentries++;
	return 0;
}

/* Tar data runs to just before the next header: nothing may overlap it. */
static int check_data_end(struct build *b, uint64_t next_header,
			  struct error **err)
{
	const struct layer_entry *e;

	if (!b->idx->nentries)
		return 0;
	e = &b->idx->entries[b->idx->nentries - 1];
	if (S_ISREG(e->mode) && e->kind == LAYER_ENTRY_NORMAL &&
	    e->data_off + e->size > next_header)
		return error_set(err, 0, "layer: tar entry \"%.200s\": data of %" PRIu64
				 " bytes runs into the next header", e->path, e->size);
	return 0;
}

static int read_entries(struct build *b, struct archive *a, struct error **err)
{
	struct archive_entry *ae;
	la_int64_t pos;
	int r;

	for (;;) {
		r = archive_read_next_header(a, &ae);
		pos = archive_read_header_position(a);
		if (r != ARCHIVE_OK && r != ARCHIVE_EOF)
			return tar_error(b, a, "", err);
		if (pos < 0 || check_data_end(b, (uint64_t)pos, err) < 0)
			return pos < 0 ? tar_error(b, a, "header position", err) : -1;
		if (r == ARCHIVE_EOF)
			return 0;
		pos = archive_filter_bytes(a, 0);
		if (pos < 0)
			return tar_error(b, a, "data offset", err);
		if (add_entry(b, ae, (uint64_t)pos, err) < 0)
			return -1;
	}
}

/* After the end-of-archive blocks only zeros may follow. */
static int read_tail(struct build *b, struct archive *a, struct error **err)
{
	la_int64_t end = archive_filter_bytes(a, 0);
	const void *buf;
	size_t len;

	if (end < 0)
		return tar_error(b, a, "end offset", err);
	for (;;) {
		if (b->nonzero_end > (uint64_t)end)
			return error_set(err, 0, "layer: data after the end of the tar archive (uncompressed offset %" PRIu64 ")",
					 b->nonzero_end - 1);
		if (layer_stream_read(b->stream, &buf, &len, err) < 0)
			return -1;
		if (!len)
			return 0;
		note_nonzero(b, buf, len);
	}
}

static int parse(struct build *b, struct error **err)
{
	struct archive *a = archive_read_new();
	int ret = -1;

	if (!a)
		return error_set(err, ENOMEM, "layer: archive_read_new");
	/* tar covers ustar, pax and GNU tar; no filters: we decompress */
	if (archive_read_support_format_tar(a) != ARCHIVE_OK) {
		tar_error(b, a, "", err);
		goto out;
	}
	if (archive_read_open(a, b, NULL, read_cb, NULL) != ARCHIVE_OK) {
		tar_error(b, a, "", err);
		goto out;
	}
	if (read_entries(b, a, err) < 0 || read_tail(b, a, err) < 0)
		goto out;
	ret = 0;
out:
	archive_read_free(a);
	return ret;
}

int layer_index_build(layer_stream_fn next, void *ctx, uint32_t chunk_size,
		      struct layer_index *out, struct error **err)
{
	return layer_index_build_spaced(next, ctx, chunk_size,
					LAYER_CHECKPOINT_SPAN, out, err);
}

int layer_index_build_spaced(layer_stream_fn next, void *ctx,
			     uint32_t chunk_size, uint64_t span,
			     struct layer_index *out, struct error **err)
{
	struct build b = { .idx = out };
	locale_t utf8, old = (locale_t)0;
	int ret = -1;

	memset(out, 0, sizeof(*out));
	out->version = LAYER_INDEX_VERSION;
	if (!chunk_size)
		chunk_size = LAYER_CHUNK_SIZE_DEFAULT;
	if (chunk_size < LAYER_CHUNK_MIN || chunk_size > LAYER_CHUNK_MAX)
		return error_set(err, EINVAL, "layer: chunk size %" PRIu32 " out of range",
				 chunk_size);
	if (span < LAYER_CHECKPOINT_SPAN_MIN || span > LAYER_CHECKPOINT_SPAN_MAX)
		return error_set(err, EINVAL, "layer: checkpoint span %" PRIu64 " out of range",
				 span);
	layer_paths_init(&b.paths);
	/*
	 * pax names are UTF-8; libarchive converts them to the locale's
	 * charset, which in the C locale mangles every non-ASCII byte. With
	 * a UTF-8 locale on this thread they stay the bytes they were.
	 */
	utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
	if (utf8)
		old = uselocale(utf8);
	if (layer_stream_open(next, ctx, chunk_size, span, out, &b.stream,
			      err) < 0)
		goto out;
	if (parse(&b, err) < 0 || layer_stream_finish(b.stream, err) < 0)
		goto out;
	ret = 0;
out:
	if (utf8) {
		uselocale(old);
		freelocale(utf8);
	}
	error_free(&b.stream_err);
	layer_stream_free(b.stream);
	layer_paths_free(&b.paths);
	if (ret < 0)
		layer_index_free(out);
	return ret;
}
