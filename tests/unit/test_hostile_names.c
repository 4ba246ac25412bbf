// SPDX-License-Identifier: MIT
/*
 * Names chosen to hurt: 200,000 names that all collide under unseeded
 * FNV-1a (the hash the name tables once used) and come in reverse order
 * (the worst case for inserting into a sorted array) must cost at most
 * twice as much as 200,000 random names in random order, through what a
 * lowerfs start does with them: an index decoded, its layer flattened,
 * the image finalized. CPU time, both measured in this run, each the
 * best of three starts in a child of its own; an adversarial child that
 * takes GIVE_UP times as long is stopped (the old tables took minutes).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../image/flatten.h"
#include "../../image/layer_index.h"

#define NAMES 200000
#define STAGES 18		/* 2^18 names from 18 colliding pairs */
#define BLOCK 4
#define NAME_LEN (1 + STAGES * BLOCK)
#define RATIO_MAX 2.0
#define GIVE_UP 3		/* an adversarial run over 3x is stopped */

static uint64_t rng = 0x2545f4914f6cdd1dull;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";

static void random_block(char *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		b[i] = alphabet[rnd() % 36];
}

/*
 * FNV-1a as the tables had it. Its low 32 bits depend only on the low 32
 * bits of the state before, so blocks that collide there from one state
 * chain into collisions of every combination (Joux multicollisions).
 */
static uint32_t fnv_low(uint32_t h, const char *p, size_t n)
{
	while (n--) {
		h ^= (unsigned char)*p++;
		h *= 0x000001b3u;	/* low 32 bits of 0x100000001b3 */
	}
	return h;
}

struct cand {
	uint32_t h;
	char b[BLOCK];
};

static int cand_cmp(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;

	return x->h < y->h ? -1 : x->h > y->h;
}

/* Two different blocks that take state H to the same low 32 bits. */
static uint32_t colliding_pair(uint32_t h, char x[BLOCK], char y[BLOCK])
{
	size_t n = 1u << 18, i;
	struct cand *c = malloc(n * sizeof(*c));

	assert_non_null(c);
	for (;;) {
		for (i = 0; i < n; i++) {
			random_block(c[i].b, BLOCK);
			c[i].h = fnv_low(h, c[i].b, BLOCK);
		}
		qsort(c, n, sizeof(*c), cand_cmp);
		for (i = 1; i < n; i++) {
			if (c[i].h == c[i - 1].h && memcmp(c[i].b, c[i - 1].b, BLOCK)) {
				memcpy(x, c[i - 1].b, BLOCK);
				memcpy(y, c[i].b, BLOCK);
				h = c[i].h;
				free(c);
				return h;
			}
		}
	}
}

static int name_cmp_desc(const void *a, const void *b)
{
	return -strcmp(*(char *const *)a, *(char *const *)b);
}

/* NAMES names with the same unseeded FNV-1a, in reverse order. */
static char **adversarial_names(void)
{
	char pairs[STAGES][2][BLOCK];
	char **names = calloc(NAMES, sizeof(*names));
	uint32_t h = (uint32_t)0xcbf29ce484222325ull;
	uint32_t i, s, first = 0;

	assert_non_null(names);
	h = fnv_low(h, "n", 1);
	for (s = 0; s < STAGES; s++)
		h = colliding_pair(h, pairs[s][0], pairs[s][1]);
	for (i = 0; i < NAMES; i++) {
		names[i] = malloc(NAME_LEN + 1);
		assert_non_null(names[i]);
		names[i][0] = 'n';
		for (s = 0; s < STAGES; s++)
			memcpy(names[i] + 1 + s * BLOCK, pairs[s][(i >> s) & 1], BLOCK);
		names[i][NAME_LEN] = '\0';
		/* the premise: all of them in one bucket of the old table */
		if (!i)
			first = fnv_low((uint32_t)0xcbf29ce484222325ull, names[i], NAME_LEN);
		assert_int_equal(fnv_low((uint32_t)0xcbf29ce484222325ull, names[i], NAME_LEN),
				 first);
	}
	qsort(names, NAMES, sizeof(*names), name_cmp_desc);
	return names;
}

/* NAMES random names of the same length, in random order. */
static char **random_names(void)
{
	char **names = calloc(NAMES, sizeof(*names));
	uint32_t i;

	assert_non_null(names);
	for (i = 0; i < NAMES; i++) {
		names[i] = malloc(NAME_LEN + 1);
		assert_non_null(names[i]);
		names[i][0] = 'n';
		random_block(names[i] + 1, NAME_LEN - 1);
		names[i][NAME_LEN] = '\0';
	}
	return names;
}

static void free_names(char **names)
{
	uint32_t i;

	for (i = 0; i < NAMES; i++)
		free(names[i]);
	free(names);
}

/* A layer of the root and one empty file per name, encoded as a file. */
static void encode_layer(char **names, uint8_t **out, size_t *len)
{
	struct layer_index idx = {
		.version = LAYER_INDEX_VERSION, .compression = LAYER_PLAIN,
		.chunk_size = 1u << 20, .seekable = true, .ncheckpoints = 1,
		.nentries = NAMES + 1,
	};
	struct layer_checkpoint cp = { 0 };
	struct error *err = NULL;
	int fd = memfd_create("index", 0);
	struct stat st;
	uint32_t i;

	assert_true(fd >= 0);
	strcpy(idx.digest, "sha256:");
	memset(idx.digest + 7, '0', 64);
	idx.checkpoints = &cp;
	idx.entries = calloc(idx.nentries, sizeof(*idx.entries));
	assert_non_null(idx.entries);
	idx.entries[0].path = "";
	idx.entries[0].mode = S_IFDIR | 0755;
	for (i = 0; i < NAMES; i++) {
		idx.entries[i + 1].path = names[i];
		idx.entries[i + 1].mode = S_IFREG | 0644;
	}
	assert_int_equal(layer_index_encode(&idx, fd, &err), 0);
	free(idx.entries);
	assert_int_equal(fstat(fd, &st), 0);
	*len = (size_t)st.st_size;
	*out = malloc(*len);
	assert_non_null(*out);
	assert_int_equal(pread(fd, *out, *len, 0), (ssize_t)*len);
	close(fd);
}

static double cpu_seconds(void)
{
	struct timespec ts;

	assert_int_equal(clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts), 0);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * What a start does with the names: decode, flatten, finalize. CPU
 * seconds, or -1 if something failed (in a child: no cmocka asserts).
 */
static double start_once(const uint8_t *enc, size_t len)
{
	const struct layer_index *layers[1];
	struct layer_index idx;
	struct flat_result res;
	struct image img;
	struct error *err = NULL;
	double t0 = cpu_seconds(), t = -1;

	image_init(&img);
	if (layer_index_decode(enc, len, &idx, &err) < 0)
		goto out;
	layers[0] = &idx;
	if (flatten_layers(layers, 1, &img, &res, &err) == 0) {
		if (image_finalize(&img, &err) == 0 && img.count == NAMES + 1 &&
		    img.nodes[0].nchildren == NAMES)
			t = cpu_seconds() - t0;
		flat_result_free(&res);
	}
	image_free(&img);
	layer_index_free(&idx);
out:
	if (err)
		fprintf(stderr, "start: %s\n", err->msg);
	error_free(&err);
	return t;
}

/*
 * The best of three starts, in a child held to LIMIT CPU seconds (0: no
 * limit); -1 if it was stopped.
 */
static double measure(const uint8_t *enc, size_t len, unsigned limit)
{
	int fds[2], status;
	double best = -1;
	pid_t pid;

	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct rlimit cpu = { limit, limit + 1 }, core = { 0, 0 };
		double t;
		int i;

		close(fds[0]);
		if (limit && (setrlimit(RLIMIT_CORE, &core) < 0 ||
			      setrlimit(RLIMIT_CPU, &cpu) < 0))
			_exit(2);
		for (i = 0; i < 3; i++) {
			t = start_once(enc, len);
			if (t < 0)
				_exit(3);
			if (best < 0 || t < best)
				best = t;
		}
		_exit(write(fds[1], &best, sizeof(best)) == sizeof(best) ? 0 : 2);
	}
	close(fds[1]);
	if (read(fds[0], &best, sizeof(best)) != sizeof(best))
		best = -1;
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (WIFSIGNALED(status))
		return -1;
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	return best;
}

static void test_ratio(void **state)
{
	char **adv = adversarial_names(), **ran = random_names();
	uint8_t *adv_enc, *ran_enc;
	size_t adv_len, ran_len;
	double t_ran, t_adv;
	unsigned limit;

	(void)state;
	encode_layer(adv, &adv_enc, &adv_len);
	encode_layer(ran, &ran_enc, &ran_len);
	free_names(adv);
	free_names(ran);
	t_ran = measure(ran_enc, ran_len, 0);
	assert_true(t_ran > 0);
	/* three starts taking GIVE_UP times the random ones: stopped */
	limit = (unsigned)(3 * GIVE_UP * t_ran) + 1;
	t_adv = measure(adv_enc, adv_len, limit);
	if (t_adv < 0)
		print_message("# random %.3f s; adversarial stopped after %u s CPU (ratio over %d)\n",
			      t_ran, limit, GIVE_UP);
	else
		print_message("# random %.3f s, adversarial %.3f s: ratio %.2f (at most %.1f)\n",
			      t_ran, t_adv, t_adv / t_ran, RATIO_MAX);
	free(adv_enc);
	free(ran_enc);
	assert_true(t_adv > 0);
	assert_true(t_adv <= RATIO_MAX * t_ran);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ratio),
	};

	return cmocka_run_group_tests_name("hostile_names", tests, NULL, NULL);
}
