// SPDX-License-Identifier: MIT
/*
 * The pieces that keep hostile names cheap: the name set behind the
 * flattener finds, adds and removes right (checked against a plain array
 * through random adds and removes), and the keyed hash is keyed per
 * process (another process hashes the same name differently).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../common/keyed_hash.h"
#include "../../image/name_set.h"

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

struct item {
	char *name;
	bool in;
};

static void test_name_set(void **state)
{
	enum { N = 5000 };
	struct item *items = calloc(N, sizeof(*items));
	struct name_set s;
	uint32_t i, round;

	(void)state;
	assert_non_null(items);
	name_set_init(&s, offsetof(struct item, name));
	for (i = 0; i < N; i++) {
		items[i].name = malloc(12);
		assert_non_null(items[i].name);
		snprintf(items[i].name, 12, "n%u", i);
	}
	/* adds and removes in random order; every lookup checked against the truth */
	for (round = 0; round < 20 * N; round++) {
		struct item *it = &items[rnd() % N];

		if (it->in)
			name_set_remove(&s, it);
		else
			assert_int_equal(name_set_add(&s, it), 0);
		it->in = !it->in;
		if (round % 1000 == 0)
			for (i = 0; i < N; i++)
				assert_ptr_equal(name_set_find(&s, items[i].name,
							       strlen(items[i].name)),
						 items[i].in ? &items[i] : NULL);
	}
	/* a prefix is not a match: LEN bytes and nothing after */
	assert_null(name_set_find(&s, "n1", 1));
	assert_null(name_set_find(&s, "n1x", 3));
	for (i = 0; i < N; i++)
		free(items[i].name);
	name_set_free(&s);
	free(items);
}

static void test_keyed_hash_per_process(void **state)
{
	uint64_t mine = keyed_hash("usr/bin/x", 9), theirs = 0;
	int fds[2], status;
	pid_t pid;

	(void)state;
	assert_int_equal(keyed_hash("usr/bin/x", 9), mine);
	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* a fresh program draws its own key */
		close(fds[0]);
		assert_int_equal(dup2(fds[1], 3), 3);
		execl("/proc/self/exe", "test_name_set", "--hash-to-fd3", (char *)NULL);
		_exit(2);
	}
	close(fds[1]);
	assert_int_equal(read(fds[0], &theirs, sizeof(theirs)), (ssize_t)sizeof(theirs));
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_true(theirs != mine);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_name_set),
		cmocka_unit_test(test_keyed_hash_per_process),
	};

	/* the other process of test_keyed_hash_per_process */
	if (argc == 2 && !strcmp(argv[1], "--hash-to-fd3")) {
		uint64_t h = keyed_hash("usr/bin/x", 9);

		return write(3, &h, sizeof(h)) == sizeof(h) ? 0 : 1;
	}
	return cmocka_run_group_tests_name("name_set", tests, NULL, NULL);
}
