// SPDX-License-Identifier: MIT
/*
 * ovlmig index LAYER -o INDEX: stream a tar layer (plain, gzip or zstd)
 * once and write its index (docs/INDEX.md), replacing INDEX atomically.
 * ovlmig index --push docker://REG/NAME:TAG: index each layer of the
 * image (not one with its own TOC) and push the indexes to its repository
 * (image/referrers.h), with a start-up list (--startup-list), or the
 * list alone (--list-only), and with --companion each gzip, plain or
 * one-frame zstd layer's seekable companion (image/companion.h), checked
 * against the layer before anything is pushed.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/fsutil.h"
#include "../common/util.h"
#include "../image/companion.h"
#include "../image/image_config.h"
#include "../image/layer_index.h"
#include "../image/layer_set.h"
#include "../image/referrers.h"
#include "../image/registry.h"
#include "commands.h"

/*
 * indexes written (format 2, pushed or -o), chosen by measurement:
 * docs/INDEX.md, "With lazy windows" and "A compressible image"
 */
#define INDEX_CHUNK_SIZE (32u << 10)
#define INDEX_CHECKPOINT_SPAN (128u << 10)
/*
 * a companion's index: its chunk hashes are not what reads check (the
 * span digests are, docs/INDEX.md "A seekable companion"): as few as
 * the format allows, the head then holds the entries and checkpoints
 */
#define COMPANION_CHUNK_SIZE (1u << 30)

enum { OPT_OUTPUT = 'o', OPT_CHUNK = 256, OPT_PUSH, OPT_INSECURE, OPT_PLATFORM,
       OPT_SPAN, OPT_STARTUP_LIST, OPT_LIST_ONLY, OPT_FORMAT, OPT_COMPANION,
       OPT_COMPANION_LEVEL };

static const struct cli_option options[] = {
	{ "output", OPT_OUTPUT, "INDEX", "where to write the index (required without --push)" },
	{ "chunk-size", OPT_CHUNK, "BYTES", "compressed bytes per verified chunk (default 32 KiB)" },
	{ "checkpoint-span", OPT_SPAN, "BYTES", "gzip: uncompressed bytes between checkpoints (default 128 KiB; 64 KiB to 1 GiB)" },
	{ "format", OPT_FORMAT, "N", "with -o: the file's format version, 2 (default: head, then windows) or 1 (read by ovlmig before version 2)" },
	{ "push", OPT_PUSH, NULL, "LAYER is docker://REG/NAME:TAG: index every layer and push the indexes to the image's repository" },
	{ "insecure", OPT_INSECURE, NULL, "with --push: plain http to a loopback registry, no TLS verification" },
	{ "platform", OPT_PLATFORM, "OS/ARCH", "with --push: the image of a multi-platform tag (default linux/amd64)" },
	{ "startup-list", OPT_STARTUP_LIST, "FILE", "with --push: publish FILE (what lowerfs --record-access wrote) with the indexes: mounts prefetch those files first" },
	{ "list-only", OPT_LIST_ONLY, NULL, "with --push and --startup-list: publish the list alone, index no layer" },
	{ "companion", OPT_COMPANION, NULL, "with --push: also push each gzip, plain or one-frame zstd layer re-encoded a zstd frame per file (verified against the layer), which mounts read instead" },
	{ "companion-level", OPT_COMPANION_LEVEL, "N", "with --companion: zstd level, 1 to 19 (default 9; 19 is about 10% smaller and several times slower)" },
	{ "help", 'h', NULL, "show this help" },
};

const struct cli_command command_index = {
	"index", "LAYER -o INDEX | --push docker://REG/NAME:TAG",
	"index a tar layer (plain, gzip, zstd) for lazy reads, or push an image's indexes to its registry; see docs/INDEX.md",
	options, ARRAY_SIZE(options), 1, 1, cmd_index,
};

struct layer_file {
	int fd;
	const char *path;
};

static ssize_t read_layer(void *ctx, void *buf, size_t len, struct error **err)
{
	struct layer_file *f = ctx;
	ssize_t n;

	do
		n = read(f->fd, buf, len);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return error_set(err, errno, "read %s", f->path);
	return n;
}

struct index_out {
	const struct layer_index *idx;
	unsigned format;
};

/* Write to a temporary file next to PATH, then rename it over PATH. */
static int encode_index(int fd, const void *ctx, struct error **err)
{
	const struct index_out *o = ctx;

	return o->format == 1 ? layer_index_encode(o->idx, fd, err) :
				layer_index_encode_v2(o->idx, fd, err);
}

struct index_args {
	const char *output;
	uint32_t chunk_size;
	int companion_level;
	uint64_t span;
	unsigned format;
	bool push, insecure, list_only, companion;
	const char *platform;
	const char *prefetch_list;
};

static int option(void *ctx, int key, const char *arg)
{
	struct index_args *a = ctx;
	uint64_t v;

	switch (key) {
	case OPT_OUTPUT:
		a->output = arg;
		return 0;
	case OPT_PUSH:
		a->push = true;
		return 0;
	case OPT_INSECURE:
		a->insecure = true;
		return 0;
	case OPT_PLATFORM:
		a->platform = arg;
		return 0;
	case OPT_SPAN:
		return parse_u64(arg, LAYER_CHECKPOINT_SPAN_MIN,
				 LAYER_CHECKPOINT_SPAN_MAX, &a->span);
	case OPT_STARTUP_LIST:
		a->prefetch_list = arg;
		return 0;
	case OPT_LIST_ONLY:
		a->list_only = true;
		return 0;
	case OPT_COMPANION:
		a->companion = true;
		return 0;
	case OPT_COMPANION_LEVEL:
		if (parse_u64(arg, 1, 19, &v) < 0)
			return -1;
		a->companion_level = (int)v;
		return 0;
	case OPT_FORMAT:
		if (parse_u64(arg, 1, 2, &v) < 0)
			return -1;
		a->format = (unsigned)v;
		return 0;
	}
	if (parse_u64(arg, 4096, 1u << 30, &v) < 0)
		return -1;
	a->chunk_size = (uint32_t)v;
	return 0;
}

/* Index layer I of IMG, streamed once, and check it is that layer's. */
static int index_layer(struct fetcher *f, const struct index_args *a,
		       const struct image_layers *img, size_t i,
		       struct layer_index *idx, struct error **err)
{
	const struct image_layer *l = &img->layers[i];

	if (layer_index_build_url_spaced(f, l->url, a->chunk_size, a->span, idx,
					 err) < 0)
		return -1;
	if (strcmp(idx->digest, l->digest) || idx->compressed_size != l->size) {
		error_set_msg(err, EINVAL, "the registry served %s (%llu bytes), not the layer",
			      idx->digest, (unsigned long long)idx->compressed_size);
		layer_index_free(idx);
		return -1;
	}
	printf("layer %zu %s: %" PRIu32 " entries, %s, %" PRIu32 " checkpoints\n",
	       i, l->digest, idx->nentries, layer_compression_name(idx->compression),
	       idx->ncheckpoints);
	return 0;
}

struct companion_job {
	const struct layer_index *idx;
	int level, fd;
	char uncompressed[DIGEST_STRLEN + 1];
};

static int write_companion(layer_stream_fn next, void *next_ctx, void *arg,
			   struct error **err)
{
	struct companion_job *j = arg;

	return companion_write(next, next_ctx, j->idx, j->level, j->fd, j->uncompressed, err);
}

static ssize_t read_fd(void *ctx, void *buf, size_t len, struct error **err)
{
	struct layer_file f = { *(int *)ctx, "companion" };

	return read_layer(&f, buf, len, err);
}

/*
 * Layer I of IMG (indexed: IDX) re-encoded into an unnamed temporary
 * file, indexed, and checked (companion.h): it decompresses to the
 * layer's diff_id DIFF_ID and has the layer's entries. Only then is C
 * set (C->idx.version 0 otherwise).
 */
static int make_companion(struct fetcher *f, const struct index_args *a,
			  const struct image_layers *img, size_t i,
			  const struct layer_index *idx, const char *diff_id,
			  struct companion_file *c, struct error **err)
{
	const char *tmp = getenv("TMPDIR");
	struct companion_job j = { .idx = idx, .level = a->companion_level, .fd = -1 };

	memset(&c->idx, 0, sizeof(c->idx));
	c->fd = -1;
	j.fd = open(tmp && *tmp ? tmp : "/var/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (j.fd < 0)
		return error_set(err, errno, "companion: temporary file in %s",
				 tmp && *tmp ? tmp : "/var/tmp");
	if (layer_url_consume(f, img->layers[i].url, write_companion, &j, err) < 0)
		goto fail;
	if (strcmp(j.uncompressed, diff_id)) {
		error_set_msg(err, EINVAL, "its tar is %s, the image config's diff_id %s",
			      j.uncompressed, diff_id);
		goto fail;
	}
	if (lseek(j.fd, 0, SEEK_SET) < 0) {
		error_set(err, errno, "companion: seek");
		goto fail;
	}
	if (layer_index_build_spaced(read_fd, &j.fd, COMPANION_CHUNK_SIZE,
				     LAYER_CHECKPOINT_SPAN, &c->idx, err) < 0)
		goto fail;
	if (companion_verify(j.fd, idx, &c->idx, diff_id, &c->spans, err) < 0) {
		layer_index_free(&c->idx);
		memset(&c->idx, 0, sizeof(c->idx));
		goto fail;
	}
	c->fd = j.fd;
	memcpy(c->uncompressed, diff_id, sizeof(c->uncompressed));
	printf("layer %zu %s: companion %s, %" PRIu64 " bytes (%.2fx the layer), %" PRIu32
	       " frames\n", i, img->layers[i].digest, c->idx.digest, c->idx.compressed_size,
	       (double)c->idx.compressed_size / (double)idx->compressed_size,
	       c->idx.ncheckpoints);
	return 0;
fail:
	close(j.fd);
	return error_wrap(err, "companion refused, not pushed");
}

/*
 * The companions to make, COMPANION_THREADS at a time: each is a stream
 * of its layer and one zstd context (level 19: most of a core, and some
 * 100 MiB), so a few layers at once, not all.
 */
#define COMPANION_THREADS 2

struct companions {
	struct fetcher *f;
	const struct index_args *a;
	const struct image_layers *img;
	const struct layer_index *idx;
	char (*diff_ids)[DIGEST_STRLEN + 1];
	struct companion_file *comp;
	size_t *todo, ntodo;
	atomic_size_t next;
	struct error **errs;		/* by k */
};

static void *companion_worker(void *arg)
{
	struct companions *c = arg;
	size_t k;

	while ((k = atomic_fetch_add(&c->next, 1)) < c->ntodo) {
		size_t i = c->todo[k];

		if (make_companion(c->f, c->a, c->img, i, &c->idx[i], c->diff_ids[i],
				   &c->comp[i], &c->errs[k]) < 0)
			error_wrap(&c->errs[k], "layer %zu %s", i, c->img->layers[i].digest);
	}
	return NULL;
}

/* Make C's companions; the first failure (in layer order) in *ERR. */
static int make_companions(struct companions *c, struct error **err)
{
	pthread_t t[COMPANION_THREADS];
	unsigned started = 0;
	int ret = 0;

	if (!c->ntodo)
		return 0;
	c->errs = calloc(c->ntodo, sizeof(*c->errs));
	if (!c->errs)
		return error_set(err, ENOMEM, "companions");
	while (started + 1 < COMPANION_THREADS && started + 1 < c->ntodo &&
	       pthread_create(&t[started], NULL, companion_worker, c) == 0)
		started++;
	companion_worker(c);
	while (started)
		pthread_join(t[--started], NULL);
	for (size_t k = 0; k < c->ntodo; k++) {
		if (c->errs[k] && !ret) {
			*err = c->errs[k];
			c->errs[k] = NULL;
			ret = -1;
		}
		error_free(&c->errs[k]);
	}
	free(c->errs);
	c->errs = NULL;
	return ret;
}

/* The prefetch list FILE whole: at most PREFETCH_LIST_MAX bytes of text. */
static int read_list(const char *file, char **buf, size_t *len,
		     struct error **err)
{
	FILE *in = fopen(file, "re");
	size_t n;

	*buf = NULL;
	if (!in)
		return error_set(err, errno, "--startup-list %s", file);
	*buf = malloc(PREFETCH_LIST_MAX + 1);
	if (!*buf) {
		fclose(in);
		return error_set(err, ENOMEM, "--startup-list %s", file);
	}
	n = fread(*buf, 1, PREFETCH_LIST_MAX + 1, in);
	if (ferror(in)) {
		error_set(err, EIO, "--startup-list %s: read", file);
	} else if (n > PREFETCH_LIST_MAX) {
		error_set_msg(err, EFBIG, "--startup-list %s: larger than %u bytes",
			      file, PREFETCH_LIST_MAX);
	} else if (memchr(*buf, '\0', n)) {
		error_set_msg(err, EINVAL, "--startup-list %s: not text (a NUL byte)",
			      file);
	} else {
		fclose(in);
		*len = n;
		return 0;
	}
	fclose(in);
	free(*buf);
	*buf = NULL;
	return -1;
}

static int push(const struct index_args *a, const char *spec)
{
	struct fetch_opts fo = { .insecure = a->insecure };
	struct image_layers img = { 0 };
	struct layer_index *idx = NULL;
	struct companion_file *comp = NULL;
	struct companions cj = { 0 };
	char (*diff_ids)[DIGEST_STRLEN + 1] = NULL;
	struct fetcher *f = NULL;
	struct error *err = NULL;
	char *list = NULL;
	size_t i, built = 0, indexed = 0, companions = 0, list_len = 0;
	int code = EXIT_FAILED;

	if (strncmp(spec, "docker:", 7)) {
		fprintf(stderr, "ovlmig index: --push takes docker://REG/NAME:TAG, not '%s'\n", spec);
		return EXIT_USAGE;
	}
	if (a->output) {
		fprintf(stderr, "ovlmig index: --push writes no file: no -o\n");
		return EXIT_USAGE;
	}
	if (a->companion && a->list_only) {
		fprintf(stderr, "ovlmig index: --companion pushes layers: no --list-only\n");
		return EXIT_USAGE;
	}
	if (a->list_only && !a->prefetch_list) {
		fprintf(stderr, "ovlmig index: --list-only needs --startup-list FILE\n");
		return EXIT_USAGE;
	}
	if (a->prefetch_list && read_list(a->prefetch_list, &list, &list_len, &err) < 0) {
		code = EXIT_USAGE;
		goto out;
	}
	if (fetcher_new(&fo, &f, &err) < 0)
		goto out;
	if (image_resolve_docker(f, spec + 7, a->platform, &img, &err) < 0) {
		code = err->errnum == EINVAL ? EXIT_USAGE : EXIT_FAILED;
		goto out;
	}
	idx = calloc(img.count ? img.count : 1, sizeof(*idx));
	comp = calloc(img.count ? img.count : 1, sizeof(*comp));
	cj.todo = calloc(img.count ? img.count : 1, sizeof(*cj.todo));
	if (!idx || !comp || !cj.todo) {
		error_set(&err, ENOMEM, "indexes");
		goto out;
	}
	for (i = 0; i < img.count; i++)
		comp[i].fd = -1;
	if (a->companion && image_config_diff_ids(f, &img, &diff_ids, &err) < 0)
		goto out;
	for (built = 0; built < img.count; built++) {
		const struct image_layer *l = &img.layers[built];

		/*
		 * a layer with its own TOC (zstd:chunked, eStargz) is read
		 * through it, a request per file: an index of ours would
		 * only be found first and read by checkpoints (version 0:
		 * no blob pushed)
		 */
		if (a->list_only || l->toc_position || l->estargz_toc_digest) {
			if (!a->list_only)
				printf("layer %zu %s: its own TOC, not indexed\n",
				       built, l->digest);
			continue;
		}
		if (index_layer(f, a, &img, built, &idx[built], &err) < 0) {
			error_wrap(&err, "layer %s", l->digest);
			goto out;
		}
		indexed++;
		if (!a->companion)
			continue;
		/* a zstd layer of many frames is as seekable as its companion */
		if (idx[built].compression == LAYER_ZSTD && idx[built].seekable) {
			printf("layer %zu %s: zstd of %" PRIu32 " frames, no companion\n",
			       built, l->digest, idx[built].ncheckpoints);
			continue;
		}
		cj.todo[cj.ntodo++] = built;
	}
	cj.f = f;
	cj.a = a;
	cj.img = &img;
	cj.idx = idx;
	cj.diff_ids = diff_ids;
	cj.comp = comp;
	if (make_companions(&cj, &err) < 0)
		goto out;
	companions = cj.ntodo;
	if (referrers_push(f, &img, idx, comp, list, list_len, &err) < 0)
		goto out;
	printf("pushed the indexes of %zu of %zu layers%s%s to %s, subject %s\n", indexed,
	       img.count, companions ? " with companions" : "",
	       list ? " and the prefetch list" : "", spec, img.manifest_digest);
	code = 0;
out:
	if (err) {
		error_wrap(&err, "push %s", spec);
		error_report(&err, "ovlmig index", stderr);
	}
	for (i = 0; idx && i < built; i++)
		layer_index_free(&idx[i]);
	for (i = 0; comp && i < img.count; i++) {
		layer_index_free(&comp[i].idx);
		free(comp[i].spans);
		if (comp[i].fd >= 0)
			close(comp[i].fd);
	}
	free(comp);
	free(cj.todo);
	free(diff_ids);
	free(idx);
	free(list);
	image_layers_free(&img);
	fetcher_free(f);
	return code;
}

int cmd_index(int argc, char **argv)
{
	struct index_args a = { .chunk_size = INDEX_CHUNK_SIZE,
				.span = INDEX_CHECKPOINT_SPAN, .format = 2 };
	struct layer_file f = { -1, NULL };
	struct layer_index idx;
	struct index_out out = { &idx, 2 };
	struct error *err = NULL;
	int code;

	if (command_parse(&command_index, argc, argv, option, &a, &code) < 0)
		return code;
	if (a.push) {
		if (a.format != 2) {
			fprintf(stderr, "ovlmig index: --push writes format 2: no --format\n");
			return EXIT_USAGE;
		}
		return push(&a, argv[1]);
	}
	if (a.prefetch_list || a.list_only || a.companion) {
		fprintf(stderr, "ovlmig index: --startup-list, --list-only and --companion go with --push\n");
		return EXIT_USAGE;
	}
	if (!a.output) {
		fprintf(stderr, "ovlmig index: -o INDEX is required\n");
		cli_print_help(stderr, "ovlmig", &command_index);
		return EXIT_USAGE;
	}
	f.path = argv[1];
	f.fd = open(f.path, O_RDONLY | O_CLOEXEC);
	if (f.fd < 0) {
		error_set(&err, errno, "open %s", f.path);
		error_report(&err, "ovlmig index", stderr);
		return EXIT_USAGE;
	}
	if (layer_index_build_spaced(read_layer, &f, a.chunk_size, a.span, &idx,
				     &err) < 0) {
		/* errno 0: the layer itself is bad, not the system */
		code = err->errnum ? EXIT_FAILED : EXIT_USAGE;
		error_wrap(&err, "%s", f.path);
		error_report(&err, "ovlmig index", stderr);
		close(f.fd);
		return code;
	}
	close(f.fd);
	out.format = a.format;
	if (file_replace(a.output, 0644, FILE_DURABLE, encode_index, &out, &err) < 0) {
		error_report(&err, "ovlmig index", stderr);
		layer_index_free(&idx);
		return EXIT_FAILED;
	}
	printf("%s: format %u, %" PRIu32 " entries, %" PRIu32 " rejected, %s, %" PRIu32
	       " checkpoints, %s, %s\n", a.output, a.format, idx.nentries, idx.rejected,
	       layer_compression_name(idx.compression), idx.ncheckpoints,
	       idx.seekable ? "seekable" : "not seekable", idx.digest);
	layer_index_free(&idx);
	return 0;
}
