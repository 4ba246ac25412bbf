// SPDX-License-Identifier: MIT
/*
 * ovlmig index LAYER -o INDEX: stream a tar layer (plain, gzip or zstd)
 * once and write its index (docs/INDEX.md), replacing INDEX atomically.
 * ovlmig index --push docker://REG/NAME:TAG: index each layer of the
 * image (not one with its own TOC) and push the indexes to its repository
 * (image/referrers.h), with a start-up list (--startup-list), or the
 * list alone (--list-only).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/fsutil.h"
#include "../common/util.h"
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

enum { OPT_OUTPUT = 'o', OPT_CHUNK = 256, OPT_PUSH, OPT_INSECURE, OPT_PLATFORM,
       OPT_SPAN, OPT_STARTUP_LIST, OPT_LIST_ONLY, OPT_FORMAT };

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
	uint64_t span;
	unsigned format;
	bool push, insecure, list_only;
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
	struct fetcher *f = NULL;
	struct error *err = NULL;
	char *list = NULL;
	size_t i, built = 0, indexed = 0, list_len = 0;
	int code = EXIT_FAILED;

	if (strncmp(spec, "docker:", 7)) {
		fprintf(stderr, "ovlmig index: --push takes docker://REG/NAME:TAG, not '%s'\n", spec);
		return EXIT_USAGE;
	}
	if (a->output) {
		fprintf(stderr, "ovlmig index: --push writes no file: no -o\n");
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
	if (!idx) {
		error_set(&err, ENOMEM, "indexes");
		goto out;
	}
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
	}
	if (referrers_push(f, &img, idx, list, list_len, &err) < 0)
		goto out;
	printf("pushed the indexes of %zu of %zu layers%s to %s, subject %s\n", indexed,
	       img.count, list ? " and the prefetch list" : "", spec, img.manifest_digest);
	code = 0;
out:
	if (err) {
		error_wrap(&err, "push %s", spec);
		error_report(&err, "ovlmig index", stderr);
	}
	for (i = 0; idx && i < built; i++)
		layer_index_free(&idx[i]);
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
	if (a.prefetch_list || a.list_only) {
		fprintf(stderr, "ovlmig index: --startup-list and --list-only go with --push\n");
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
