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

#include "../common/fsutil.h"
#include "../common/util.h"
#include "../image/layer_index.h"
#include "commands.h"

enum { OPT_OUTPUT = 'o', OPT_CHUNK = 256 };

static const struct cli_option options[] = {
	{ "output", OPT_OUTPUT, "INDEX", "where to write the index (required)" },
	{ "chunk-size", OPT_CHUNK, "BYTES", "compressed bytes per verified chunk (default 1 MiB)" },
	{ "help", 'h', NULL, "show this help" },
};

const struct cli_command command_index = {
	"index", "LAYER -o INDEX",
	"index a tar layer (plain, gzip, zstd) for lazy reads; see docs/INDEX.md",
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

/* Write to a temporary file next to PATH, then rename it over PATH. */
static int encode_index(int fd, const void *idx, struct error **err)
{
	return layer_index_encode(idx, fd, err);
}

struct index_args {
	const char *output;
	uint32_t chunk_size;
};

static int option(void *ctx, int key, const char *arg)
{
	struct index_args *a = ctx;
	uint64_t v;

	if (key == OPT_OUTPUT) {
		a->output = arg;
		return 0;
	}
	if (parse_u64(arg, 4096, 1u << 30, &v) < 0)
		return -1;
	a->chunk_size = (uint32_t)v;
	return 0;
}

int cmd_index(int argc, char **argv)
{
	struct index_args a = { NULL, LAYER_CHUNK_SIZE_DEFAULT };
	struct layer_file f = { -1, NULL };
	struct layer_index idx;
	struct error *err = NULL;
	int code;

	if (command_parse(&command_index, argc, argv, option, &a, &code) < 0)
		return code;
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
	if (layer_index_build(read_layer, &f, a.chunk_size, &idx, &err) < 0) {
		/* errno 0: the layer itself is bad, not the system */
		code = err->errnum ? EXIT_FAILED : EXIT_USAGE;
		error_wrap(&err, "%s", f.path);
		error_report(&err, "ovlmig index", stderr);
		close(f.fd);
		return code;
	}
	close(f.fd);
	if (file_replace(a.output, 0644, FILE_DURABLE, encode_index, &idx, &err) < 0) {
		error_report(&err, "ovlmig index", stderr);
		layer_index_free(&idx);
		return EXIT_FAILED;
	}
	printf("%s: %" PRIu32 " entries, %" PRIu32 " rejected, %s, %" PRIu32
	       " checkpoints, %s, %s\n", a.output, idx.nentries, idx.rejected,
	       layer_compression_name(idx.compression), idx.ncheckpoints,
	       idx.seekable ? "seekable" : "not seekable", idx.digest);
	layer_index_free(&idx);
	return 0;
}
