// SPDX-License-Identifier: MIT
/*
 * swapper - play a hostile workload that swaps directories of its tree
 * for symlinks to somewhere else and back, as fast as it can.
 *
 * Usage: swapper [--ready FILE] DIR=TARGET...
 *
 * For each DIR it creates the symlink DIR.swap -> TARGET, then exchanges
 * DIR and DIR.swap (renameat2 RENAME_EXCHANGE) over and over, all DIRs in
 * turn, so each DIR is a real directory half of the time and a symlink to
 * TARGET the other half. --ready FILE is created after the first round.
 *
 * On SIGTERM or SIGINT it puts every real directory back at DIR, removes
 * the symlinks, prints "swaps=N" and exits 0. Exit 1 if a swap or the
 * clean-up failed, 2 on a usage or setup error.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PROG "swapper"

struct pair {
	char *dir;
	char *link;		/* DIR.swap */
	const char *target;
	int swapped;		/* DIR is the symlink now */
};

static volatile sig_atomic_t stop;

static void on_stop(int sig)
{
	(void)sig;
	stop = 1;
}

static int exchange(struct pair *p)
{
	if (renameat2(AT_FDCWD, p->dir, AT_FDCWD, p->link, RENAME_EXCHANGE) < 0) {
		fprintf(stderr, PROG ": exchange %s and %s: %s\n", p->dir, p->link,
			strerror(errno));
		return -1;
	}
	p->swapped = !p->swapped;
	return 0;
}

static int parse(const char *arg, struct pair *p)
{
	const char *eq = strchr(arg, '=');

	if (!eq || eq == arg || !eq[1]) {
		fprintf(stderr, PROG ": %s: want DIR=TARGET\n", arg);
		return -1;
	}
	p->dir = strndup(arg, (size_t)(eq - arg));
	p->target = eq + 1;
	if (!p->dir || asprintf(&p->link, "%s.swap", p->dir) < 0) {
		fprintf(stderr, PROG ": out of memory\n");
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_stop };
	const char *ready = NULL;
	struct pair *pairs;
	unsigned long swaps = 0;
	int n, i, first = 1, rc = 0;

	if (argc > 2 && !strcmp(argv[1], "--ready")) {
		ready = argv[2];
		argv += 2;
		argc -= 2;
	}
	if (argc < 2) {
		fprintf(stderr, "usage: " PROG " [--ready FILE] DIR=TARGET...\n");
		return 2;
	}
	n = argc - 1;
	pairs = calloc((size_t)n, sizeof(*pairs));
	if (!pairs)
		return 2;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTERM, &sa, NULL) < 0 || sigaction(SIGINT, &sa, NULL) < 0)
		return 2;
	for (i = 0; i < n; i++) {
		if (parse(argv[i + 1], &pairs[i]) < 0)
			return 2;
		if (symlink(pairs[i].target, pairs[i].link) < 0) {
			fprintf(stderr, PROG ": symlink %s: %s\n", pairs[i].link,
				strerror(errno));
			return 2;
		}
	}
	while (!stop && !rc) {
		for (i = 0; i < n && !rc; i++) {
			rc = exchange(&pairs[i]);
			swaps += !rc;
		}
		if (first && ready) {
			int fd = open(ready, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);

			if (fd < 0 || close(fd) < 0) {
				fprintf(stderr, PROG ": create %s: %s\n", ready,
					strerror(errno));
				rc = 1;
			}
		}
		first = 0;
	}
	/* the real directories back in place, the symlinks gone */
	for (i = 0; i < n; i++) {
		if (pairs[i].swapped && exchange(&pairs[i]) < 0)
			rc = 1;
		if (unlink(pairs[i].link) < 0) {
			fprintf(stderr, PROG ": unlink %s: %s\n", pairs[i].link,
				strerror(errno));
			rc = 1;
		}
		free(pairs[i].dir);
		free(pairs[i].link);
	}
	free(pairs);
	printf("swaps=%lu\n", swaps);
	return rc ? 1 : 0;
}
