// SPDX-License-Identifier: MIT
/*
 * holder - play a long-running process that pins things in a filesystem
 * under test and keeps using them until SIGTERM or SIGINT.
 *
 * Usage: holder --report FILE [--cwd DIR] [--fd FILE] [--mmap FILE]
 *               [--interval MS] [--ready FILE]
 *
 * --cwd DIR    chdir into DIR, so the process's cwd pins it; every
 *              interval list it, stat every entry and create, fsync,
 *              rename and unlink a file and mkdir/rmdir a directory in it
 * --fd FILE    keep FILE open; every interval pread it whole and compare
 *              its sha256 with the one taken at start
 * --mmap FILE  map FILE MAP_SHARED and close the fd, so only the mapping
 *              holds it; every interval compare the mapping's sha256
 * --ready FILE created once the start-up work is done
 *
 * After every interval (default 100 ms) FILE gets, atomically, the line
 *   pid=P iterations=N errors=E first_error=TEXT
 * With none of --cwd, --fd, --mmap it only loops writing reports: run from
 * a copy inside the filesystem under test it is "a running binary".
 *
 * Exit: 0 no errors, 1 errors seen, 2 usage or setup error.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <openssl/evp.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PROG "holder"
#define CHUNK (64 * 1024)
#define MAX_STDERR_ERRORS 10
#define NAME_LEN 96

struct opts {
	const char *report;
	const char *cwd;
	const char *fd_path;
	const char *map_path;
	const char *ready;
	long interval_ms;
	char *owned[2];		/* absolute forms of report and ready */
};

struct held {
	int fd;				/* --fd, or -1 */
	const unsigned char *map;	/* --mmap, or NULL */
	size_t map_len;
	unsigned char fd_sum[EVP_MAX_MD_SIZE];
	unsigned char map_sum[EVP_MAX_MD_SIZE];
	char *report_tmp;		/* FILE.tmp */
};

static volatile sig_atomic_t stop;
static volatile sig_atomic_t bus_armed;
static sigjmp_buf bus_env;

static EVP_MD_CTX *md;
static unsigned int md_len;
static unsigned long iterations, errors;
/* snprintf truncates: a long path cannot overrun it */
static char first_error[1024] = "none";

static void usage(FILE *out)
{
	fprintf(out,
		"usage: " PROG " --report FILE [--cwd DIR] [--fd FILE] [--mmap FILE]\n"
		"              [--interval MS] [--ready FILE]\n");
}

static void on_stop(int sig)
{
	(void)sig;
	stop = 1;
}

/*
 * A page of the mapping that cannot be read any more raises SIGBUS; that
 * is exactly the failure we look for, so turn it into a counted error
 * instead of dying.  Outside the guarded copy it is a real crash.
 */
static void on_sigbus(int sig)
{
	if (bus_armed)
		siglongjmp(bus_env, 1);
	signal(sig, SIG_DFL);
	raise(sig);
}

/* the report is one line: no newline or other control byte may leak in */
static void flatten(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

static void note_error(const char *what, const char *dir, const char *name,
		       const char *why)
{
	const char *sep = name ? "/" : "";

	if (!name)
		name = "";
	errors++;
	if (errors <= MAX_STDERR_ERRORS)
		fprintf(stderr, PROG ": %s: %s%s%s: %s\n", what, dir, sep,
			name, why);
	if (errors > 1)
		return;
	snprintf(first_error, sizeof(first_error), "%s %s%s%s: %s", what,
		 dir, sep, name, why);
	flatten(first_error);
}

static void note_errno(const char *what, const char *dir, const char *name,
		       int err)
{
	note_error(what, dir, name, err ? strerror(err) : "failed");
}

static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int sum_begin(void)
{
	return EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1 ? 0 : -1;
}

static int sum_update(const void *buf, size_t len)
{
	return EVP_DigestUpdate(md, buf, len) == 1 ? 0 : -1;
}

static int sum_end(unsigned char *out)
{
	return EVP_DigestFinal_ex(md, out, &md_len) == 1 ? 0 : -1;
}

/*
 * sha256 of FD's whole content.  pread from 0 uses no file offset, so the
 * check reads the same bytes every time.  Returns NULL, or the failing
 * call with errno set (0 for an OpenSSL failure).
 */
static const char *fd_sum(int fd, unsigned char *out)
{
	static char buf[CHUNK];
	off_t off = 0;
	ssize_t n;

	errno = 0;
	if (sum_begin())
		return "sha256";
	for (;;) {
		n = pread(fd, buf, sizeof(buf), off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return "pread";
		if (n == 0)
			break;
		errno = 0;
		if (sum_update(buf, (size_t)n))
			return "sha256";
		off += n;
	}
	errno = 0;
	return sum_end(out) ? "sha256" : NULL;
}

/* memcpy that reports a SIGBUS on SRC instead of crashing */
static int copy_guarded(void *dst, const void *src, size_t len)
{
	if (sigsetjmp(bus_env, 1)) {
		bus_armed = 0;
		return -1;
	}
	bus_armed = 1;
	memcpy(dst, src, len);
	bus_armed = 0;
	return 0;
}

/* sha256 of the mapping: like fd_sum, "SIGBUS" when a page is unreadable */
static const char *map_sum(const unsigned char *map, size_t len,
			   unsigned char *out)
{
	static unsigned char buf[CHUNK];
	size_t off, n;

	errno = 0;
	if (sum_begin())
		return "sha256";
	for (off = 0; off < len; off += n) {
		n = len - off < CHUNK ? len - off : CHUNK;
		if (copy_guarded(buf, map + off, n))
			return "SIGBUS";
		if (sum_update(buf, n))
			return "sha256";
	}
	return sum_end(out) ? "sha256" : NULL;
}

static void check_fd(const struct opts *o, struct held *h)
{
	unsigned char sum[EVP_MAX_MD_SIZE];
	const char *failed = fd_sum(h->fd, sum);

	if (failed)
		note_errno(failed, o->fd_path, NULL, errno);
	else if (memcmp(sum, h->fd_sum, md_len))
		note_error("sha256", o->fd_path, NULL,
			   "content differs from start");
}

static void check_map(const struct opts *o, struct held *h)
{
	unsigned char sum[EVP_MAX_MD_SIZE];
	const char *failed = map_sum(h->map, h->map_len, sum);

	if (failed && !strcmp(failed, "SIGBUS"))
		note_error("read mapping", o->map_path, NULL,
			   "SIGBUS (page could not be read)");
	else if (failed)
		note_errno(failed, o->map_path, NULL, errno);
	else if (memcmp(sum, h->map_sum, md_len))
		note_error("sha256 of mapping", o->map_path, NULL,
			   "content differs from start");
}

/*
 * opsuite creates and removes its .opsuite-* scratch names in the same
 * directory while we run; one vanishing between readdir and fstatat is a
 * race between the two tools, not a filesystem error.
 */
static int racy_name(const char *name)
{
	return !strncmp(name, ".opsuite-", 9) || !strncmp(name, ".holder-", 8);
}

static void list_cwd(const char *dir)
{
	struct dirent *de;
	struct stat st;
	DIR *d = opendir(".");

	if (!d) {
		note_errno("opendir", dir, NULL, errno);
		return;
	}
	for (;;) {
		errno = 0;
		de = readdir(d);
		if (!de)
			break;
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
		    racy_name(de->d_name))
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW))
			note_errno("fstatat", dir, de->d_name, errno);
	}
	if (errno)
		note_errno("readdir", dir, NULL, errno);
	if (closedir(d))
		note_errno("closedir", dir, NULL, errno);
}

/* write, fsync, rename and unlink a scratch file: new upper entries */
static void file_cycle(const char *dir)
{
	static const char data[] = "held by holder\n";
	char name[NAME_LEN], renamed[NAME_LEN];
	int fd, n;

	n = snprintf(name, sizeof(name), ".holder-%ld-%lu", (long)getpid(),
		     iterations);
	if (n < 0 || (size_t)n + 2 >= sizeof(name)) {
		note_error("snprintf", dir, NULL, "name too long");
		return;
	}
	memcpy(renamed, name, (size_t)n);
	memcpy(renamed + n, ".r", 3);

	fd = open(name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		note_errno("open O_CREAT|O_EXCL", dir, name, errno);
		return;
	}
	if (write_all(fd, data, sizeof(data) - 1))
		note_errno("write", dir, name, errno);
	else if (fsync(fd))
		note_errno("fsync", dir, name, errno);
	if (close(fd))
		note_errno("close", dir, name, errno);
	if (rename(name, renamed)) {
		note_errno("rename", dir, name, errno);
		/* best effort only: the failure is already counted */
		unlink(name);
		return;
	}
	if (unlink(renamed))
		note_errno("unlink", dir, renamed, errno);
}

static void dir_cycle(const char *dir)
{
	char name[NAME_LEN];
	int n = snprintf(name, sizeof(name), ".holder-dir-%ld", (long)getpid());

	if (n < 0 || (size_t)n >= sizeof(name)) {
		note_error("snprintf", dir, NULL, "name too long");
		return;
	}
	if (mkdir(name, 0700)) {
		note_errno("mkdir", dir, name, errno);
		return;
	}
	if (rmdir(name))
		note_errno("rmdir", dir, name, errno);
}

static void check_all(const struct opts *o, struct held *h)
{
	if (h->fd >= 0)
		check_fd(o, h);
	if (h->map)
		check_map(o, h);
	if (o->cwd) {
		list_cwd(o->cwd);
		file_cycle(o->cwd);
		dir_cycle(o->cwd);
	}
}

/* write FILE.tmp and rename it: a reader never sees half a report */
static void write_report(const struct opts *o, const struct held *h)
{
	char line[sizeof(first_error) + 128];
	int fd, n;

	n = snprintf(line, sizeof(line),
		     "pid=%ld iterations=%lu errors=%lu first_error=%s\n",
		     (long)getpid(), iterations, errors, first_error);
	if (n < 0 || (size_t)n >= sizeof(line)) {
		note_error("snprintf", o->report, NULL, "report too long");
		return;
	}
	fd = open(h->report_tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
		  0644);
	if (fd < 0) {
		note_errno("open", h->report_tmp, NULL, errno);
		return;
	}
	if (write_all(fd, line, (size_t)n)) {
		note_errno("write", h->report_tmp, NULL, errno);
		close(fd);
		return;
	}
	if (close(fd)) {
		note_errno("close", h->report_tmp, NULL, errno);
		return;
	}
	if (rename(h->report_tmp, o->report))
		note_errno("rename", o->report, NULL, errno);
}

static void nap(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	/* a stop signal ends the nap early: the loop exits right away */
	while (nanosleep(&ts, &ts) && errno == EINTR && !stop)
		;
}

static int parse_interval(const char *s, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 1 || v > 3600000)
		return -1;
	*out = v;
	return 0;
}

/* Returns 0, 1 for --help, or 2 for a usage error. */
static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "report", required_argument, NULL, 'r' },
		{ "cwd", required_argument, NULL, 'c' },
		{ "fd", required_argument, NULL, 'f' },
		{ "mmap", required_argument, NULL, 'm' },
		{ "interval", required_argument, NULL, 'i' },
		{ "ready", required_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	o->interval_ms = 100;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'r': o->report = optarg; break;
		case 'c': o->cwd = optarg; break;
		case 'f': o->fd_path = optarg; break;
		case 'm': o->map_path = optarg; break;
		case 'R': o->ready = optarg; break;
		case 'i':
			if (parse_interval(optarg, &o->interval_ms)) {
				fprintf(stderr, PROG ": --interval: %s: not 1..3600000 ms\n",
					optarg);
				return 2;
			}
			break;
		case 'h': return 1;
		default: return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, PROG ": unexpected argument: %s\n", argv[optind]);
		return 2;
	}
	if (!o->report) {
		fprintf(stderr, PROG ": --report FILE is required\n");
		return 2;
	}
	return 0;
}

static int install_handlers(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	/* no SA_RESTART: a stop signal must cut the nap short */
	sa.sa_handler = on_stop;
	if (sigaction(SIGTERM, &sa, NULL) || sigaction(SIGINT, &sa, NULL))
		return -1;
	sa.sa_handler = on_sigbus;
	return sigaction(SIGBUS, &sa, NULL);
}

static int hold_fd(const char *path, struct held *h)
{
	const char *failed;

	h->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (h->fd < 0) {
		fprintf(stderr, PROG ": open: %s: %s\n", path, strerror(errno));
		return -1;
	}
	failed = fd_sum(h->fd, h->fd_sum);
	if (failed) {
		fprintf(stderr, PROG ": %s: %s: %s\n", failed, path,
			errno ? strerror(errno) : "failed");
		return -1;
	}
	return 0;
}

/* Returns 0, -1 on a setup error, -2 on an empty file (usage error). */
static int hold_map(const char *path, struct held *h)
{
	const char *failed;
	struct stat st;
	void *map;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		fprintf(stderr, PROG ": open: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st)) {
		fprintf(stderr, PROG ": fstat: %s: %s\n", path, strerror(errno));
		close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode) || st.st_size == 0 ||
	    (uintmax_t)st.st_size > SIZE_MAX) {
		fprintf(stderr, PROG ": --mmap: %s: need a non-empty regular file\n",
			path);
		close(fd);
		return -2;
	}
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		fprintf(stderr, PROG ": mmap: %s: %s\n", path, strerror(errno));
		close(fd);
		return -1;
	}
	h->map = map;
	h->map_len = (size_t)st.st_size;
	/* from now on only the mapping holds the file */
	if (close(fd)) {
		fprintf(stderr, PROG ": close: %s: %s\n", path, strerror(errno));
		return -1;
	}
	failed = map_sum(h->map, h->map_len, h->map_sum);
	if (failed) {
		fprintf(stderr, PROG ": %s: %s: %s\n", failed, path,
			errno ? strerror(errno) : "failed");
		return -1;
	}
	return 0;
}

static int touch(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);

	if (fd < 0 || close(fd)) {
		fprintf(stderr, PROG ": create: %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* Replaces a relative *PATH with one from the current directory. */
static int absolute(const char **path, char **owned)
{
	char *cwd, *abs;
	int n;

	if (!*path || **path == '/')
		return 0;
	cwd = get_current_dir_name();
	if (!cwd) {
		fprintf(stderr, PROG ": getcwd: %s\n", strerror(errno));
		return -1;
	}
	n = asprintf(&abs, "%s/%s", cwd, *path);
	free(cwd);
	if (n < 0) {
		fprintf(stderr, PROG ": asprintf: %s\n", strerror(errno));
		return -1;
	}
	*path = *owned = abs;
	return 0;
}

/*
 * Everything before the loop; failures here are setup errors (exit 2).
 * The files are opened before the chdir: relative paths are meant from
 * where we were started.
 */
static int setup(const struct opts *o, struct held *h)
{
	int rc;

	if (install_handlers()) {
		fprintf(stderr, PROG ": sigaction: %s\n", strerror(errno));
		return 2;
	}
	md = EVP_MD_CTX_new();
	if (!md) {
		fprintf(stderr, PROG ": EVP_MD_CTX_new: out of memory\n");
		return 2;
	}
	if (asprintf(&h->report_tmp, "%s.tmp", o->report) < 0) {
		h->report_tmp = NULL;
		fprintf(stderr, PROG ": asprintf: %s\n", strerror(errno));
		return 2;
	}
	if (o->fd_path && hold_fd(o->fd_path, h))
		return 2;
	if (o->map_path) {
		rc = hold_map(o->map_path, h);
		if (rc == -2)
			usage(stderr);
		if (rc)
			return 2;
	}
	if (o->cwd && chdir(o->cwd)) {
		fprintf(stderr, PROG ": chdir: %s: %s\n", o->cwd, strerror(errno));
		return 2;
	}
	if (o->ready && touch(o->ready))
		return 2;
	return 0;
}

/* only so that leak checkers stay quiet: the process ends right after */
static void release(struct opts *o, struct held *h)
{
	if (h->map && munmap((void *)h->map, h->map_len))
		fprintf(stderr, PROG ": munmap: %s\n", strerror(errno));
	if (h->fd >= 0 && close(h->fd))
		fprintf(stderr, PROG ": close: %s\n", strerror(errno));
	free(h->report_tmp);
	EVP_MD_CTX_free(md);
	free(o->owned[0]);
	free(o->owned[1]);
}

int main(int argc, char **argv)
{
	struct opts o = { 0 };
	struct held h = { .fd = -1 };
	int rc;

	rc = parse_args(argc, argv, &o);
	if (rc) {
		usage(rc == 1 ? stdout : stderr);
		return rc == 1 ? 0 : 2;
	}
	/*
	 * The report and ready file are written after the chdir, but
	 * relative paths are meant from where we were started.
	 */
	if (o.cwd && (absolute(&o.report, &o.owned[0]) ||
		      absolute(&o.ready, &o.owned[1]))) {
		release(&o, &h);
		return 2;
	}
	rc = setup(&o, &h);
	if (rc) {
		release(&o, &h);
		return rc;
	}
	while (!stop) {
		check_all(&o, &h);
		iterations++;
		write_report(&o, &h);
		nap(o.interval_ms);
	}
	write_report(&o, &h);
	release(&o, &h);
	return errors ? 1 : 0;
}
