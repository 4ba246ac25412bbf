// SPDX-License-Identifier: MIT
/*
 * inflate_speed FILE...: the CPU a first command's decompression costs
 * per format (issue 18: why eStargz's first command was slower than
 * zstd:chunked's). The files are cut into 4 MiB pieces, each one gzip
 * member (level 6, as eStargz's default 4 MiB chunks) and one zstd frame
 * (level 3); then each is decompressed whole, best of 5: zlib's inflate
 * (lowerfs streamed eStargz through it before), libdeflate (lowerfs inflates an eStargz
 * span whole with it now), zstd. A bench tool, not part of the product:
 * scripts/bench/inflate_speed.sh builds it with cc.
 */
#include <libdeflate.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>
#include <zstd.h>

#define PIECE (4u << 20)
#define ROUNDS 5

struct piece {
	unsigned char *gz, *zs;
	size_t len, gz_len, zs_len;
};

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "inflate_speed: %s\n", what);
	exit(2);
}

static void gzip_piece(struct piece *p, const unsigned char *d)
{
	z_stream z = { 0 };
	size_t room;

	if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		die("deflateInit2");
	room = deflateBound(&z, (uLong)p->len) + 64;
	p->gz = malloc(room);
	if (!p->gz)
		die("out of memory");
	z.next_in = (unsigned char *)d;
	z.avail_in = (uInt)p->len;
	z.next_out = p->gz;
	z.avail_out = (uInt)room;
	if (deflate(&z, Z_FINISH) != Z_STREAM_END)
		die("deflate");
	p->gz_len = z.total_out;
	deflateEnd(&z);
}

static void zstd_piece(struct piece *p, const unsigned char *d)
{
	size_t room = ZSTD_compressBound(p->len);

	p->zs = malloc(room);
	if (!p->zs)
		die("out of memory");
	p->zs_len = ZSTD_compress(p->zs, room, d, p->len, 3);
	if (ZSTD_isError(p->zs_len))
		die("ZSTD_compress");
}

int main(int argc, char **argv)
{
	struct libdeflate_decompressor *ld = libdeflate_alloc_decompressor();
	unsigned char *all = NULL, *out = malloc(PIECE);
	struct piece *p;
	size_t n = 0, np, i;
	double best[3] = { 1e9, 1e9, 1e9 };

	if (argc < 2)
		die("usage: inflate_speed FILE...");
	for (int a = 1; a < argc; a++) {
		FILE *f = fopen(argv[a], "rb");
		long len;

		if (!f || fseek(f, 0, SEEK_END) || (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET))
			die(argv[a]);
		all = realloc(all, n + (size_t)len + 1);
		if (!all || fread(all + n, 1, (size_t)len, f) != (size_t)len)
			die(argv[a]);
		n += (size_t)len;
		fclose(f);
	}
	np = (n + PIECE - 1) / PIECE;
	p = calloc(np, sizeof(*p));
	if (!p || !out || !ld)
		die("out of memory");
	for (i = 0; i < np; i++) {
		p[i].len = i + 1 < np ? PIECE : n - i * PIECE;
		gzip_piece(&p[i], all + i * PIECE);
		zstd_piece(&p[i], all + i * PIECE);
	}
	for (int r = 0; r < ROUNDS; r++) {
		double t[4];

		t[0] = now();
		for (i = 0; i < np; i++) {
			z_stream z = { 0 };

			if (inflateInit2(&z, 15 + 16) != Z_OK)
				die("inflateInit2");
			z.next_in = p[i].gz;
			z.avail_in = (uInt)p[i].gz_len;
			z.next_out = out;
			z.avail_out = PIECE;
			if (inflate(&z, Z_FINISH) != Z_STREAM_END || z.total_out != p[i].len)
				die("inflate");
			inflateEnd(&z);
		}
		t[1] = now();
		for (i = 0; i < np; i++) {
			size_t got;

			if (libdeflate_gzip_decompress(ld, p[i].gz, p[i].gz_len, out, PIECE,
						       &got) != LIBDEFLATE_SUCCESS || got != p[i].len)
				die("libdeflate_gzip_decompress");
		}
		t[2] = now();
		for (i = 0; i < np; i++)
			if (ZSTD_decompress(out, PIECE, p[i].zs, p[i].zs_len) != p[i].len)
				die("ZSTD_decompress");
		t[3] = now();
		for (int k = 0; k < 3; k++)
			if (t[k + 1] - t[k] < best[k])
				best[k] = t[k + 1] - t[k];
	}
	printf("%.2f MB in %zu pieces of 4 MiB; best of %d:\n", n / 1e6, np, ROUNDS);
	printf("  zlib inflate              %6.1f ms  %5.0f MB/s\n", best[0] * 1e3, n / best[0] / 1e6);
	printf("  libdeflate (whole)        %6.1f ms  %5.0f MB/s\n", best[1] * 1e3, n / best[1] / 1e6);
	printf("  zstd                      %6.1f ms  %5.0f MB/s\n", best[2] * 1e3, n / best[2] / 1e6);
	return 0;
}
