// SPDX-License-Identifier: MIT
/*
 * pid_wait: a process that has exited counts as gone at once, also while
 * nobody reaps it (a daemon's parent is init, which may take a second:
 * lower_stop used to wait for that); one that runs is waited for only up
 * to the timeout. With and without a pidfd.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../common/util.h"
#include "../../ovlmig/pid_wait.h"

/* A child that exits at once and stays a zombie: this test never reaps it until the end. */
static pid_t zombie(void)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0)
		_exit(0);
	return pid;
}

static pid_t sleeper(void)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		pause();
		_exit(0);
	}
	return pid;
}

static void reap(pid_t pid)
{
	assert_int_equal(waitpid(pid, NULL, 0), pid);
}

static void test_zombie_is_gone(void **state)
{
	pid_t pid = zombie();
	int fd = pid_open(pid);
	uint64_t t0 = now_ns();

	(void)state;
	assert_true(fd >= 0);
	assert_true(pid_wait_exit(pid, fd, 5000));
	/* still unreaped: the pid is there, and yet it has ended */
	assert_int_equal(kill(pid, 0), 0);
	assert_true(pid_wait_exit(pid, -1, 5000));
	assert_true(now_ns() - t0 < 2000000000ull);
	close(fd);
	reap(pid);
}

static void test_running_until_timeout(void **state)
{
	pid_t pid = sleeper();
	int fd = pid_open(pid);
	uint64_t t0 = now_ns();

	(void)state;
	assert_true(fd >= 0);
	assert_false(pid_wait_exit(pid, fd, 100));
	assert_false(pid_wait_exit(pid, -1, 100));
	assert_true(now_ns() - t0 >= 200000000ull);
	assert_int_equal(pid_signal(fd, pid, SIGTERM), 0);
	assert_true(pid_wait_exit(pid, fd, 5000));
	close(fd);
	reap(pid);
}

static void test_reaped_is_gone(void **state)
{
	pid_t pid = zombie();

	(void)state;
	reap(pid);
	assert_int_equal(pid_open(pid) < 0, 1);
	assert_true(pid_wait_exit(pid, -1, 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_zombie_is_gone),
		cmocka_unit_test(test_running_until_timeout),
		cmocka_unit_test(test_reaped_is_gone),
	};

	return cmocka_run_group_tests_name("pid_wait", tests, NULL, NULL);
}
