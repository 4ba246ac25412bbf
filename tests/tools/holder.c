// SPDX-License-Identifier: MIT
/*
 * holder: a long-running process that holds things in a filesystem (its
 * cwd, an open fd, a shared mapping, its own executable) and checks them
 * every interval until SIGTERM, counting every failure.
 * Exit: 0 no errors, 1 errors seen, 2 usage or setup error.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop;
static unsigned long iterations, errors;
static char first_error[512] = "none";

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void error_at(const char *what, const char *path, int err)
{
	errors++;
	if (errors == 1)
		snprintf(first_error, sizeof(first_error), "%s %s: %s", what,
			 path, err ? strerror(err) : "content changed");
}

static void digest(const void *data, size_t len, unsigned char *out)
{
	unsigned int n;

	EVP_Digest(data, len, out, &n, EVP_sha256(), NULL);
}

/* sha256 of the whole file behind FD, read with pread; -1 on error */
static int fd_digest(int fd, unsigned char *out)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	static char buf[1 << 16];
	off_t off = 0;
	ssize_t n;
	unsigned int len;

	if (!ctx)
		return -1;
	EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	while ((n = pread(fd, buf, sizeof(buf), off)) > 0) {
		EVP_DigestUpdate(ctx, buf, (size_t)n);
		off += n;
	}
	EVP_DigestFinal_ex(ctx, out, &len);
	EVP_MD_CTX_free(ctx);
	return n < 0 ? -1 : 0;
}

static void write_report(const char *path)
{
	char tmp[4096];
	FILE *f;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return;
	f = fopen(tmp, "w");
	if (!f)
		return;
	fprintf(f, "pid=%d iterations=%lu errors=%lu first_error=%s\n",
		(int)getpid(), iterations, errors, first_error);
	if (fclose(f) == 0)
		rename(tmp, path);
}

static void check_cwd(void)
{
	char name[64], moved[80];
	struct dirent *de;
	struct stat st;
	DIR *d = opendir(".");
	int fd;

	if (!d) {
		error_at("opendir", ".", errno);
		return;
	}
	while ((de = readdir(d)))
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 &&
		    errno != ENOENT)
			error_at("stat", de->d_name, errno);
	closedir(d);
	snprintf(name, sizeof(name), ".holder-%d-%lu", (int)getpid(), iterations);
	snprintf(moved, sizeof(moved), "%s.r", name);
	fd = open(name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0) {
		error_at("create", name, errno);
		return;
	}
	if (write(fd, "held\n", 5) != 5 || fsync(fd) < 0)
		error_at("write", name, errno);
	close(fd);
	if (rename(name, moved) < 0)
		error_at("rename", name, errno);
	if (unlink(moved) < 0)
		error_at("unlink", moved, errno);
	snprintf(name, sizeof(name), ".holder-dir-%d", (int)getpid());
	if (mkdir(name, 0755) < 0 || rmdir(name) < 0)
		error_at("mkdir/rmdir", name, errno);
}

static void usage(void)
{
	fprintf(stderr, "usage: holder --report FILE [--cwd DIR] [--fd FILE] [--mmap FILE] [--interval MS] [--ready FILE]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *report = NULL, *cwd = NULL, *fdpath = NULL, *mpath = NULL;
	const char *ready = NULL;
	unsigned char fd_sum[32], map_sum[32], now[32];
	struct sigaction sa = { .sa_handler = on_signal };
	long interval = 100;
	void *map = NULL;
	size_t maplen = 0;
	int i, fd = -1;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--help")) {
			printf("holder: holds a cwd, an fd, a mapping; checks them until SIGTERM\n");
			return 0;
		}
		if (!v)
			usage();
		if (!strcmp(a, "--report")) report = v;
		else if (!strcmp(a, "--cwd")) cwd = v;
		else if (!strcmp(a, "--fd")) fdpath = v;
		else if (!strcmp(a, "--mmap")) mpath = v;
		else if (!strcmp(a, "--ready")) ready = v;
		else if (!strcmp(a, "--interval")) interval = atol(v);
		else usage();
		i++;
	}
	if (!report || interval <= 0)
		usage();
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	if (cwd && chdir(cwd) < 0) {
		fprintf(stderr, "holder: chdir %s: %s\n", cwd, strerror(errno));
		return 2;
	}
	if (fdpath) {
		fd = open(fdpath, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || fd_digest(fd, fd_sum) < 0) {
			fprintf(stderr, "holder: open %s: %s\n", fdpath, strerror(errno));
			return 2;
		}
	}
	if (mpath) {
		struct stat st;
		int mfd = open(mpath, O_RDONLY | O_CLOEXEC);

		if (mfd < 0 || fstat(mfd, &st) < 0 || st.st_size == 0) {
			fprintf(stderr, "holder: %s: %s\n", mpath,
				mfd < 0 ? strerror(errno) : "empty or unreadable");
			return 2;
		}
		maplen = (size_t)st.st_size;
		map = mmap(NULL, maplen, PROT_READ, MAP_SHARED, mfd, 0);
		close(mfd);	/* only the mapping holds it from now on */
		if (map == MAP_FAILED) {
			fprintf(stderr, "holder: mmap %s: %s\n", mpath, strerror(errno));
			return 2;
		}
		digest(map, maplen, map_sum);
	}
	if (ready) {
		int r = open(ready, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);

		if (r < 0) {
			fprintf(stderr, "holder: %s: %s\n", ready, strerror(errno));
			return 2;
		}
		close(r);
	}
	while (!stop) {
		struct timespec ts = { interval / 1000, (interval % 1000) * 1000000 };

		if (fd >= 0 && fd_digest(fd, now) < 0)
			error_at("read fd", fdpath, errno);
		else if (fd >= 0 && memcmp(now, fd_sum, 32))
			error_at("read fd", fdpath, 0);
		if (map) {
			digest(map, maplen, now);
			if (memcmp(now, map_sum, 32))
				error_at("mapping", mpath, 0);
		}
		if (cwd)
			check_cwd();
		iterations++;
		write_report(report);
		nanosleep(&ts, NULL);
	}
	write_report(report);
	return errors ? 1 : 0;
}
