// SPDX-License-Identifier: MIT
/*
 * ovlmig index LAYER -o INDEX: stream a tar layer (plain, gzip or zstd)
 * once and write its index (docs/INDEX.md), replacing INDEX atomically.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/cli.h"
#include "../common/util.h"
#include "../image/layer_index.h"
#include "commands.h"

#define USAGE "usage: ovlmig index [--chunk-size BYTES] LAYER -o INDEX\n"

enum { OPT_OUTPUT = 'o', OPT_CHUNK = 256 };

static const struct cli_option options[] = {
	{ "output", OPT_OUTPUT, "INDEX", "where to write the index (required)" },
	{ "chunk-size", OPT_CHUNK, "BYTES", "compressed bytes per verified chunk (default 1 MiB)" },
	{ "help", 'h', NULL, "show this help" },
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

/* Write to a temporary file next to PATH, then rename it over PATH. */
static int write_index(const struct layer_index *idx, const char *path,
		       struct error **err)
{
	char *tmp = NULL;
	int fd;

	if (asprintf(&tmp, "%s.tmp.XXXXXX", path) < 0)
		return error_set(err, ENOMEM, "write %s", path);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		error_set(err, errno, "create %s", tmp);
		free(tmp);
		return -1;
	}
	if (fchmod(fd, 0644) < 0) {
		error_set(err, errno, "chmod %s", tmp);
		goto fail;
	}
	if (layer_index_encode(idx, fd, err) < 0) {
		error_wrap(err, "write %s", tmp);
		goto fail;
	}
	if (fsync(fd) < 0) {
		error_set(err, errno, "fsync %s", tmp);
		goto fail;
	}
	if (close(fd) < 0) {
		fd = -1;
		error_set(err, errno, "close %s", tmp);
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) < 0) {
		error_set(err, errno, "rename %s to %s", tmp, path);
		goto fail;
	}
	free(tmp);
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	free(tmp);
	return -1;
}

static int parse_args(int argc, char **argv, const char **layer,
		      const char **output, uint32_t *chunk_size)
{
	struct cli_parser p;
	uint64_t v;
	int c;

	if (cli_parser_init(&p, options, ARRAY_SIZE(options)) < 0)
		return EXIT_FAILED;
	optind = 1;
	/* options may come before or after LAYER */
	while (optind < argc) {
		c = cli_next(&p, argc, argv);
		if (c == -1) {
			if (*layer)
				goto usage;
			*layer = argv[optind++];
		} else if (c == 'h') {
			printf(USAGE "\nOptions:\n");
			cli_print_options(stdout, options, ARRAY_SIZE(options));
			cli_parser_free(&p);
			return -1;
		} else if (c == OPT_OUTPUT) {
			*output = optarg;
		} else if (c == OPT_CHUNK &&
			   parse_u64(optarg, 4096, 1u << 30, &v) == 0) {
			*chunk_size = (uint32_t)v;
		} else {
			goto usage;
		}
	}
	cli_parser_free(&p);
	if (!*layer || !*output)
		goto usage_freed;
	return 0;
usage:
	cli_parser_free(&p);
usage_freed:
	fprintf(stderr, USAGE);
	return EXIT_USAGE;
}

int cmd_index(int argc, char **argv)
{
	const char *output = NULL;
	struct layer_file f = { -1, NULL };
	struct layer_index idx;
	struct error *err = NULL;
	uint32_t chunk_size = LAYER_CHUNK_SIZE_DEFAULT;
	int code;

	code = parse_args(argc, argv, &f.path, &output, &chunk_size);
	if (code)
		return code < 0 ? 0 : code;
	f.fd = open(f.path, O_RDONLY | O_CLOEXEC);
	if (f.fd < 0) {
		error_set(&err, errno, "open %s", f.path);
		error_report(&err, "ovlmig index", stderr);
		return EXIT_USAGE;
	}
	if (layer_index_build(read_layer, &f, chunk_size, &idx, &err) < 0) {
		/* errno 0: the layer itself is bad, not the system */
		code = err->errnum ? EXIT_FAILED : EXIT_USAGE;
		error_wrap(&err, "%s", f.path);
		error_report(&err, "ovlmig index", stderr);
		close(f.fd);
		return code;
	}
	close(f.fd);
	if (write_index(&idx, output, &err) < 0) {
		error_report(&err, "ovlmig index", stderr);
		layer_index_free(&idx);
		return EXIT_FAILED;
	}
	printf("%s: %" PRIu32 " entries, %" PRIu32 " rejected, %s, %" PRIu32
	       " checkpoints, %s, %s\n", output, idx.nentries, idx.rejected,
	       layer_compression_name(idx.compression), idx.ncheckpoints,
	       idx.seekable ? "seekable" : "not seekable", idx.digest);
	layer_index_free(&idx);
	return 0;
}
