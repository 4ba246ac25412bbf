// SPDX-License-Identifier: MIT
/*
 * A zstd:chunked layer's TOC as a layer index (layer_toc.h).
 *
 * The TOC lists the tar's entries in order; a regular file's data is a
 * zstd frame of its own starting at the compressed offset "offset", cut
 * into further frames at each "chunk" entry (its own "offset",
 * "chunkOffset" into the file, "chunkSize" and "chunkDigest"). The TOC
 * does not say where the data is in the uncompressed tar, so the index
 * uses a synthetic stream: the files' data back to back in TOC order.
 * Each chunk is a checkpoint (its frame's offset, its place in that
 * stream) and a span whose sha256 reads check. Decompressing from a
 * chunk's frame yields exactly the chunk, then the next chunk of the file;
 * a read never runs past its file, so what follows the file (tar padding
 * and headers) is never served.
 */
#include "layer_toc.h"
#include "layer_index.h"
#include "layer_priv.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <zstd.h>

#include "digest.h"

#define TOC_FILE_MAX (1ull << 40)	/* no file is larger than a layer may be */
/* a read buffers a span up to what it asks: bound what a TOC may claim */
#define TOC_SPAN_MAX (256ull << 20)

/*
 * The blob cache's chunk for a layer read through its TOC: a read fetches
 * whole chunks, so a file costs its compressed bytes rounded out to them,
 * and a small file's frame or gzip member is often a few hundred bytes. At
 * 4 KiB a file costs at most 8 KiB more than its own bytes (issue 18:
 * link bytes within 1.1x of what is read); the chunk map is one byte per
 * chunk (256 KiB for a 1 GiB layer). Requests do not grow with it:
 * layer_set_read fetches all the chunks of a read in one go, adjacent
 * ones in one request.
 */
#define TOC_CHUNK_SIZE (4u << 10)

#define TFAIL(...) error_set(err, EINVAL, "toc: " __VA_ARGS__)

/* "OFFSET:LENGTH:ULENGTH:TYPE", each a decimal without sign. */
static int parse_u64(const char **p, char end, uint64_t *out)
{
	uint64_t v = 0;
	const char *s = *p;

	if (*s < '0' || *s > '9')
		return -1;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (v > (UINT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	if (*s != end)
		return -1;
	*p = s + (end != '\0');
	*out = v;
	return 0;
}

int layer_toc_ref_parse(const char *position, const char *checksum,
			uint64_t layer_size, struct layer_toc_ref *out,
			struct error **err)
{
	const char *p = position;
	uint64_t type;

	memset(out, 0, sizeof(*out));
	if (parse_u64(&p, ':', &out->offset) < 0 ||
	    parse_u64(&p, ':', &out->length) < 0 ||
	    parse_u64(&p, ':', &out->uncompressed_length) < 0 ||
	    parse_u64(&p, '\0', &type) < 0)
		return TFAIL("manifest-position \"%.80s\" is not OFFSET:LENGTH:LENGTH:TYPE",
			     position);
	if (type != 1)
		return TFAIL("manifest type %" PRIu64 " is not zstd (1)", type);
	if (!out->length || out->length > LAYER_TOC_MAX ||
	    out->uncompressed_length > LAYER_TOC_MAX)
		return TFAIL("TOC of %" PRIu64 " bytes (%" PRIu64 " uncompressed), at most %u",
			     out->length, out->uncompressed_length, LAYER_TOC_MAX);
	if (out->offset > layer_size || out->length > layer_size - out->offset)
		return TFAIL("TOC at %" PRIu64 "+%" PRIu64 " past the layer's %" PRIu64 " bytes",
			     out->offset, out->length, layer_size);
	if (!checksum || !digest_valid(checksum) || strncmp(checksum, "sha256:", 7))
		return TFAIL("manifest-checksum is not a sha256 digest");
	snprintf(out->checksum, sizeof(out->checksum), "%s", checksum);
	return 0;
}

/* ---- one entry ---- */

struct toc_build {
	struct layer_index *idx;
	enum layer_toc_format format;
	struct layer_paths names;	/* eStargz: a name once only */
	uint64_t max_in;		/* eStargz: the last data's compressed offset */
	uint32_t cap_cp, cap_e;
	uint64_t data_end;	/* file frames end before the TOC */
	uint64_t prev_end;	/* compressed end of the previous file's frames */
	/* the regular file whose chunks come next */
	struct layer_entry *file;
	uint64_t file_end;	/* its endOffset */
	uint64_t file_done;	/* its bytes covered by chunks so far */
	uint64_t last_in;	/* compressed offset of its last chunk */
	uint32_t i;		/* TOC entry number, for messages */
};

static int get_u64(json_t *o, const char *key, bool need, uint64_t max,
		   uint64_t *out, struct toc_build *b, struct error **err)
{
	json_t *v = json_object_get(o, key);

	*out = 0;
	if (!v) {
		if (need)
			return TFAIL("entry %" PRIu32 ": no %s", b->i, key);
		return 0;
	}
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    (uint64_t)json_integer_value(v) > max)
		return TFAIL("entry %" PRIu32 ": %s is not an integer from 0 to %" PRIu64,
			     b->i, key, max);
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

static const char *get_str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* RFC 3339 as Go writes it: "2024-01-02T03:04:05.123Z" or "+01:00". */
static int get_time(json_t *o, const char *key, struct timespec *ts,
		    struct toc_build *b, struct error **err)
{
	const char *s = get_str(o, key), *p;
	struct tm tm = { 0 };
	long nsec = 0, scale = 100000000;
	int sign, hh, mm;
	time_t t;

	ts->tv_sec = 0;
	ts->tv_nsec = 0;
	if (!s)
		return 0;
	p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!p)
		return TFAIL("entry %" PRIu32 ": %s \"%.40s\" is not a time", b->i, key, s);
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++, scale /= 10)
			nsec += scale * (*p - '0');
	t = timegm(&tm);
	if (*p == '+' || *p == '-') {
		sign = *p == '-' ? 1 : -1;
		if (sscanf(p + 1, "%2d:%2d", &hh, &mm) != 2 || strlen(p) != 6)
			return TFAIL("entry %" PRIu32 ": %s \"%.40s\" is not a time", b->i, key, s);
		t += sign * (hh * 3600 + mm * 60);
	} else if (strcmp(p, "Z")) {
		return TFAIL("entry %" PRIu32 ": %s \"%.40s\" is not a time", b->i, key, s);
	}
	/* Go's zero time (year 1) means none */
	if (tm.tm_year + 1900 <= 1)
		return 0;
	ts->tv_sec = t;
	ts->tv_nsec = nsec;
	return 0;
}

static int get_xattrs(json_t *o, struct layer_entry *e, struct toc_build *b,
		      struct error **err)
{
	json_t *xs = json_object_get(o, "xattrs"), *v;
	const char *name;
	uint64_t total = 0;
	size_t n = json_object_size(xs);

	if (!xs || json_is_null(xs))
		return 0;
	if (!json_is_object(xs) || n > LAYER_XATTRS_MAX)
		return TFAIL("entry %" PRIu32 ": xattrs not an object of at most %u",
			     b->i, LAYER_XATTRS_MAX);
	if (!n)
		return 0;
	e->xattrs = calloc(n, sizeof(*e->xattrs));
	if (!e->xattrs)
		return error_set(err, ENOMEM, "toc: xattrs");
	json_object_foreach(xs, name, v) {
		struct layer_xattr *x = &e->xattrs[e->nxattrs];
		const char *b64 = json_string_value(v);
		size_t blen = b64 ? strlen(b64) : 0, nlen = strlen(name);
		int got;

		if (!b64 || blen % 4 || blen / 4 * 3 > LAYER_XATTR_SIZE_MAX + 2 ||
		    !nlen || nlen > LAYER_XATTR_NAME_MAX)
			return TFAIL("entry %" PRIu32 ": bad xattr \"%.60s\"", b->i, name);
		x->name = strdup(name);
		x->value = malloc(blen / 4 * 3 + 1);
		e->nxattrs++;
		if (!x->name || !x->value)
			return error_set(err, ENOMEM, "toc: xattrs");
		got = EVP_DecodeBlock(x->value, (const unsigned char *)b64, (int)blen);
		if (got < 0)
			return TFAIL("entry %" PRIu32 ": xattr %.60s is not base64", b->i, name);
		/* DecodeBlock counts padding as bytes */
		x->size = (size_t)got - (blen && b64[blen - 1] == '=') -
			  (blen > 1 && b64[blen - 2] == '=');
		if (x->size > LAYER_XATTR_SIZE_MAX)
			return TFAIL("entry %" PRIu32 ": xattr %.60s larger than 64 KiB", b->i, name);
		total += nlen + x->size;
	}
	if (total > LAYER_XATTR_ENTRY_MAX)
		return TFAIL("entry %" PRIu32 ": xattrs larger than 64 KiB in all", b->i);
	if (total > LAYER_XATTR_LAYER_MAX - b->idx->xattr_bytes)
		return TFAIL("entry %" PRIu32 ": the layer's xattrs pass %u MiB in all",
			     b->i, LAYER_XATTR_LAYER_MAX >> 20);
	b->idx->xattr_bytes += total;
	return 0;
}

static int add_checkpoint(struct toc_build *b, uint64_t in_off, uint64_t size,
			  const char *digest, struct error **err)
{
	struct layer_index *idx = b->idx;
	struct layer_checkpoint *cp;

	if (!digest || !digest_valid(digest) || strncmp(digest, "sha256:", 7))
		return TFAIL("entry %" PRIu32 ": no sha256 digest for its data", b->i);
	if (!size || size > TOC_SPAN_MAX)
		return TFAIL("entry %" PRIu32 ": a chunk of %" PRIu64 " bytes (1 to %llu)",
			     b->i, size, TOC_SPAN_MAX);
	if (idx->uncompressed_size > UINT64_MAX - size)
		return TFAIL("entry %" PRIu32 ": data sizes overflow", b->i);
	if (idx->ncheckpoints == b->cap_cp) {
		uint32_t cap = b->cap_cp ? b->cap_cp * 2 : 64;
		void *c = reallocarray(idx->checkpoints, cap, sizeof(*idx->checkpoints));
		void *s;

		if (!c)
			return error_set(err, ENOMEM, "toc: checkpoints");
		idx->checkpoints = c;
		s = reallocarray(idx->span_sha256, cap, sizeof(*idx->span_sha256));
		if (!s)
			return error_set(err, ENOMEM, "toc: checkpoints");
		idx->span_sha256 = s;
		b->cap_cp = cap;
	}
	cp = &idx->checkpoints[idx->ncheckpoints];
	memset(cp, 0, sizeof(*cp));
	cp->in_off = in_off;
	cp->out_off = idx->uncompressed_size;
	/* checked above: "sha256:" and 64 lowercase hex digits */
	digest_bytes(digest, idx->span_sha256[idx->ncheckpoints]);
	idx->ncheckpoints++;
	idx->uncompressed_size += size;
	b->file_done += size;
	b->last_in = in_off;
	b->max_in = in_off;
	return 0;
}

/* The previous file's chunks must add up to its size. */
static int close_file(struct toc_build *b, struct error **err)
{
	if (b->file && b->file_done != b->file->size)
		return TFAIL("entry %" PRIu32 ": chunks cover %" PRIu64 " of the previous file's %" PRIu64 " bytes",
			     b->i, b->file_done, b->file->size);
	b->file = NULL;
	return 0;
}

static bool estargz(const struct toc_build *b)
{
	return b->format == LAYER_TOC_ESTARGZ;
}

/*
 * eStargz may pack small files into one gzip member ("innerOffset" into
 * it): the synthetic stream needs each file's data at its member's start.
 */
static int check_inner(struct toc_build *b, json_t *o, struct error **err)
{
	uint64_t inner;

	if (get_u64(o, "innerOffset", false, UINT64_MAX >> 1, &inner, b, err) < 0)
		return -1;
	if (inner)
		return TFAIL("entry %" PRIu32 ": data at innerOffset %" PRIu64
			     " inside a shared gzip member not supported", b->i, inner);
	return 0;
}

static int add_chunk(struct toc_build *b, json_t *o, struct error **err)
{
	const char *name = get_str(o, "name");
	char *norm;
	const char *why;
	uint64_t off, coff, size;
	bool same;

	if (!b->file)
		return TFAIL("entry %" PRIu32 ": a chunk without a file before it", b->i);
	norm = name ? layer_path_normalize(name, &why) : NULL;
	same = norm && !strcmp(norm, b->file->path);
	free(norm);
	if (!same)
		return TFAIL("entry %" PRIu32 ": a chunk of another file than the one before it", b->i);
	if (get_u64(o, "offset", true, b->data_end, &off, b, err) < 0 ||
	    get_u64(o, "chunkOffset", true, TOC_FILE_MAX, &coff, b, err) < 0 ||
	    get_u64(o, "chunkSize", !estargz(b), TOC_FILE_MAX, &size, b, err) < 0 ||
	    check_inner(b, o, err) < 0)
		return -1;
	/* eStargz leaves out the last chunk's size: the rest of the file */
	if (!size && estargz(b) && coff <= b->file->size)
		size = b->file->size - coff;
	/* a run of zeros is a frame of its own like data: read it the same way */
	if (get_str(o, "chunkType") && strcmp(get_str(o, "chunkType"), "data") &&
	    strcmp(get_str(o, "chunkType"), "zeros"))
		return TFAIL("entry %" PRIu32 ": chunk type %.20s not supported", b->i,
			     get_str(o, "chunkType"));
	if (off <= b->last_in || off >= b->file_end)
		return TFAIL("entry %" PRIu32 ": chunk at %" PRIu64 " not after the one before it and within its file",
			     b->i, off);
	if (coff != b->file_done || size > b->file->size - b->file_done)
		return TFAIL("entry %" PRIu32 ": chunk %" PRIu64 "+%" PRIu64 " overlaps or leaves a gap in its file",
			     b->i, coff, size);
	return add_checkpoint(b, off, size, get_str(o, "chunkDigest"), err);
}

/* A regular file's data: its first chunk; more may follow. */
static int add_data(struct toc_build *b, json_t *o, struct layer_entry *e,
		    struct error **err)
{
	uint64_t off, end, first;
	const char *cd = get_str(o, "chunkDigest");

	if (get_u64(o, "offset", true, b->data_end, &off, b, err) < 0 ||
	    get_u64(o, "endOffset", !estargz(b), b->data_end, &end, b, err) < 0 ||
	    get_u64(o, "chunkSize", false, TOC_FILE_MAX, &first, b, err) < 0 ||
	    check_inner(b, o, err) < 0)
		return -1;
	/*
	 * eStargz says where a file's data starts only: its gzip members end
	 * where the next data starts, and each must start after the last
	 */
	if (estargz(b)) {
		end = b->data_end;
		if (b->idx->ncheckpoints && off <= b->max_in)
			return TFAIL("entry %" PRIu32 ": data at %" PRIu64
				     " not after the data before it", b->i, off);
	}
	if (off < b->prev_end || end <= off)
		return TFAIL("entry %" PRIu32 ": data at %" PRIu64 "..%" PRIu64
			     " overlaps the file before it or is empty", b->i, off, end);
	if (!first)
		first = e->size;
	if (first > e->size || (!cd && first != e->size))
		return TFAIL("entry %" PRIu32 ": first chunk of %" PRIu64 " bytes in a file of %" PRIu64,
			     b->i, first, e->size);
	e->data_off = b->idx->uncompressed_size;
	b->file = e;
	b->file_end = end;
	b->file_done = 0;
	/* eStargz: max_in orders the data instead */
	b->prev_end = estargz(b) ? 0 : end;
	b->last_in = 0;
	return add_checkpoint(b, off, first, cd ? cd : get_str(o, "digest"), err);
}

static int entry_type(const char *t, mode_t *type, bool *hardlink)
{
	static const struct { const char *name; mode_t type; } types[] = {
		{ "reg", S_IFREG }, { "dir", S_IFDIR }, { "symlink", S_IFLNK },
		{ "hardlink", 0 }, { "char", S_IFCHR }, { "block", S_IFBLK },
		{ "fifo", S_IFIFO },
	};

	for (size_t k = 0; t && k < sizeof(types) / sizeof(types[0]); k++)
		if (!strcmp(t, types[k].name)) {
			*type = types[k].type;
			*hardlink = !types[k].type;
			return 0;
		}
	return -1;
}

static int fill_entry(struct toc_build *b, json_t *o, struct layer_entry *e,
		      struct error **err)
{
	const char *name = get_str(o, "name"), *link = get_str(o, "linkName");
	const char *why = "no name";
	uint64_t mode, uid, gid, major, minor;
	bool hardlink;
	mode_t type;

	if (entry_type(get_str(o, "type"), &type, &hardlink) < 0)
		return TFAIL("entry %" PRIu32 ": type \"%.20s\" not supported", b->i,
			     get_str(o, "type") ? get_str(o, "type") : "");
	e->path = name ? layer_path_normalize(name, &why) : NULL;
	if (!e->path)
		return !name || why ? TFAIL("entry %" PRIu32 ": bad name: %s", b->i, why) :
				      error_set(err, ENOMEM, "toc: entry %" PRIu32, b->i);
	if (get_u64(o, "mode", false, UINT32_MAX, &mode, b, err) < 0 ||
	    get_u64(o, "uid", false, UINT32_MAX - 1, &uid, b, err) < 0 ||
	    get_u64(o, "gid", false, UINT32_MAX - 1, &gid, b, err) < 0 ||
	    get_u64(o, "devMajor", false, UINT32_MAX, &major, b, err) < 0 ||
	    get_u64(o, "devMinor", false, UINT32_MAX, &minor, b, err) < 0 ||
	    get_time(o, "modtime", &e->mtime, b, err) < 0 ||
	    get_time(o, "accesstime", &e->atime, b, err) < 0 ||
	    get_time(o, "changetime", &e->ctime, b, err) < 0 ||
	    get_xattrs(o, e, b, err) < 0)
		return -1;
	if (!e->atime.tv_sec && !e->atime.tv_nsec)
		e->atime = e->mtime;
	if (!e->ctime.tv_sec && !e->ctime.tv_nsec)
		e->ctime = e->mtime;
	e->uid = (uid_t)uid;
	e->gid = (gid_t)gid;
	if (hardlink) {
		e->kind = LAYER_ENTRY_HARDLINK;
		e->hardlink = link ? layer_path_normalize(link, &why) : NULL;
		if (!e->hardlink)
			return TFAIL("entry %" PRIu32 ": bad hardlink target", b->i);
		/* the target's type: layer_entries_check wants them equal */
		type = S_IFREG;
		for (uint32_t k = b->idx->nentries; k-- > 0;)
			if (!strcmp(b->idx->entries[k].path, e->hardlink)) {
				type = b->idx->entries[k].mode & S_IFMT;
				break;
			}
	} else if (type == S_IFLNK) {
		e->link = strdup(link ? link : "");
		if (!e->link)
			return error_set(err, ENOMEM, "toc: entry %" PRIu32, b->i);
	}
	e->mode = type | (mode_t)(mode & 07777);
	if (type == S_IFCHR || type == S_IFBLK)
		e->rdev = makedev(major, minor);
	if (type == S_IFREG && !hardlink) {
		if (get_u64(o, "size", false, TOC_FILE_MAX, &e->size, b, err) < 0)
			return -1;
		e->data_off = b->idx->uncompressed_size;
		if (e->size)
			return add_data(b, o, e, err);
	}
	return 0;
}

/* eStargz: a name twice would make the TOC's tree depend on who reads it. */
static int check_unique(struct toc_build *b, struct error **err)
{
	uint32_t i = b->idx->nentries - 1;
	const char *path = b->idx->entries[i].path;

	if (layer_paths_get(&b->names, b->idx->entries, path) >= 0)
		return TFAIL("entry %" PRIu32 ": \"%.100s\" named twice", b->i, path);
	if (layer_paths_put(&b->names, b->idx->entries, i) < 0)
		return error_set(err, ENOMEM, "toc: names");
	return 0;
}

static int add_entry(struct toc_build *b, json_t *o, struct error **err)
{
	struct layer_index *idx = b->idx;
	struct layer_entry *e;

	if (!json_is_object(o))
		return TFAIL("entry %" PRIu32 " is not an object", b->i);
	if (get_str(o, "type") && !strcmp(get_str(o, "type"), "chunk"))
		return add_chunk(b, o, err);
	if (close_file(b, err) < 0)
		return -1;
	if (idx->nentries == b->cap_e) {
		uint32_t cap = b->cap_e ? b->cap_e * 2 : 64;

		e = reallocarray(idx->entries, cap, sizeof(*e));
		if (!e)
			return error_set(err, ENOMEM, "toc: entries");
		idx->entries = e;
		b->cap_e = cap;
	}
	e = &idx->entries[idx->nentries++];
	memset(e, 0, sizeof(*e));
	if (fill_entry(b, o, e, err) < 0)
		return -1;
	return estargz(b) ? check_unique(b, err) : 0;
}

int layer_toc_parse(const char *json, size_t len, uint64_t data_end,
		    const char *digest, uint64_t layer_size,
		    struct layer_index *out, struct error **err)
{
	return layer_toc_parse_format(LAYER_TOC_ZSTD_CHUNKED, json, len, data_end,
				      digest, layer_size, out, err);
}

int layer_toc_parse_format(enum layer_toc_format format, const char *json,
			   size_t len, uint64_t data_end, const char *digest,
			   uint64_t layer_size, struct layer_index *out,
			   struct error **err)
{
	struct toc_build b = { .idx = out, .format = format, .data_end = data_end };
	json_error_t je;
	json_t *doc, *entries, *o;
	size_t i;
	int ret = -1;

	memset(out, 0, sizeof(*out));
	if (!digest_valid(digest) || data_end > layer_size)
		return TFAIL("bad layer digest or TOC offset");
	layer_paths_init(&b.names);
	doc = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je);
	if (!doc)
		return TFAIL("not JSON: %s (line %d)", je.text, je.line);
	entries = json_object_get(doc, "entries");
	if (json_integer_value(json_object_get(doc, "version")) != 1 ||
	    !json_is_array(entries) || json_array_size(entries) >= UINT32_MAX) {
		TFAIL("not a version 1 TOC with entries");
		goto out;
	}
	json_array_foreach(entries, i, o) {
		b.i = (uint32_t)i;
		if (add_entry(&b, o, err) < 0)
			goto out;
	}
	if (close_file(&b, err) < 0)
		goto out;
	out->version = LAYER_INDEX_VERSION;
	out->compression = estargz(&b) ? LAYER_GZIP : LAYER_ZSTD;
	snprintf(out->digest, sizeof(out->digest), "%s", digest);
	out->compressed_size = layer_size;
	out->chunk_size = TOC_CHUNK_SIZE;
	out->nchunks = layer_size / out->chunk_size + (layer_size % out->chunk_size != 0);
	out->seekable = true;
	if (!out->ncheckpoints) {
		/* no file data: one empty span keeps layer_read's invariants */
		b.i = 0;
		if (add_checkpoint(&b, 0, 1, "sha256:" "e3b0c44298fc1c149afbf4c8996fb924"
				   "27ae41e4649b934ca495991b7852b855", err) < 0)
			goto out;
		out->uncompressed_size = 0;
	}
	ret = layer_entries_check(out, err);
	if (ret < 0)
		error_wrap(err, "toc");
out:
	json_decref(doc);
	layer_paths_free(&b.names);
	if (ret < 0)
		layer_index_free(out);
	return ret;
}

int layer_toc_index(const struct layer_toc_ref *ref, const void *toc,
		    size_t len, const char *digest, uint64_t layer_size,
		    struct layer_index *out, struct error **err)
{
	unsigned long long size;
	char *json;
	size_t got;
	int ret;

	memset(out, 0, sizeof(*out));
	if (len != ref->length)
		return TFAIL("read %zu bytes of a TOC of %" PRIu64, len, ref->length);
	if (!digest_matches(ref->checksum, toc, len))
		return TFAIL("checksum mismatch: the TOC is not %s", ref->checksum);
	size = ZSTD_getFrameContentSize(toc, len);
	if (size == ZSTD_CONTENTSIZE_ERROR)
		return TFAIL("not a zstd frame");
	if (size == ZSTD_CONTENTSIZE_UNKNOWN)
		size = ref->uncompressed_length;
	if (size > LAYER_TOC_MAX || size != ref->uncompressed_length)
		return TFAIL("%llu bytes uncompressed, the annotation says %" PRIu64,
			     size, ref->uncompressed_length);
	json = malloc(size ? size : 1);
	if (!json)
		return error_set(err, ENOMEM, "toc");
	got = ZSTD_decompress(json, size, toc, len);
	if (ZSTD_isError(got) || got != size) {
		free(json);
		return TFAIL("corrupt zstd: %s",
			     ZSTD_isError(got) ? ZSTD_getErrorName(got) : "short");
	}
	ret = layer_toc_parse(json, got, ref->offset, digest, layer_size, out, err);
	free(json);
	return ret;
}
