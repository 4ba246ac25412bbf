// SPDX-License-Identifier: MIT
/*
 * mtread - hammer files with concurrent random preads and compare every
 * byte against a reference copy.
 *
 * Usage: mtread [--threads N] [--seconds S | --iterations K] [--seed N]
 *               REFDIR TESTDIR FILE...
 *
 * Each thread picks a random FILE, offset and length (1 byte to 2 MiB;
 * page aligned, small, unaligned, straddling or past EOF) and preads the
 * range from TESTDIR/FILE and REFDIR/FILE.  Even threads keep their own
 * fds open for the whole run, odd threads open and close both files for
 * every read.  --iterations counts reads per thread.  Thread i seeds its
 * PRNG from the printed seed and i, so a run can be replayed with --seed.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PROG "mtread"
#define MAX_LEN (2 * 1024 * 1024)
#define PAGE 4096
#define MAX_ERROR_REPORTS 10

struct file {
	const char *name;	/* relative to REFDIR and TESTDIR */
	off_t size;		/* of the reference, at start */
};

struct stats {
	uint64_t reads, bytes, mismatches, errors;
};

struct worker {
	pthread_t tid;
	unsigned int idx;
	uint64_t rng;
	bool reopen;		/* open both files for every read */
	int *ref_fds, *test_fds;
	unsigned char *ref_buf, *test_buf;
	struct stats st;
};

static struct file *files;
static unsigned int nfiles;
static int ref_dir = -1, test_dir = -1;
static const char *ref_name, *test_name;

static uint64_t iterations;	/* per thread; 0: run until the deadline */
static struct timespec deadline;

static pthread_mutex_t report_lock = PTHREAD_MUTEX_INITIALIZER;
static bool mismatch_reported;
static unsigned int errors_reported;

static void __attribute__((noreturn)) setup_fail(const char *what,
						  const char *dir,
						  const char *name)
{
	fprintf(stderr, "%s: %s: %s/%s: %s\n", PROG, what, dir, name,
		strerror(errno));
	exit(2);
}

static void *xmalloc(size_t size)
{
	void *p = malloc(size);

	if (!p) {
		fprintf(stderr, "%s: out of memory\n", PROG);
		exit(2);
	}
	return p;
}

/* Messages from many threads: serialise, and cap the error flood. */
static void report_error(const char *what, const char *dir, const char *name,
			 int err)
{
	pthread_mutex_lock(&report_lock);
	if (errors_reported < MAX_ERROR_REPORTS)
		fprintf(stderr, "%s: %s: %s/%s: %s\n", PROG, what, dir, name,
			strerror(err));
	else if (errors_reported == MAX_ERROR_REPORTS)
		fprintf(stderr, "%s: further read errors not shown\n", PROG);
	errors_reported++;
	pthread_mutex_unlock(&report_lock);
}

/* xorshift64*: state must never be 0. */
static uint64_t rng_next(struct worker *w)
{
	w->rng ^= w->rng >> 12;
	w->rng ^= w->rng << 25;
	w->rng ^= w->rng >> 27;
	return w->rng * 0x2545f4914f6cdd1dULL;
}

/* splitmix64 spreads (seed, thread) into well separated streams. */
static uint64_t mix_seed(uint64_t seed, unsigned int idx)
{
	uint64_t z = seed + (idx + 1) * 0x9e3779b97f4a7c15ULL;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	z ^= z >> 31;
	return z ? z : 1;
}

static uint64_t rng_below(struct worker *w, uint64_t n)
{
	return n ? rng_next(w) % n : 0;
}

/* Pick a read that exercises one of the interesting cases. */
static void pick_range(struct worker *w, off_t size, off_t *off, size_t *len)
{
	switch (rng_below(w, 8)) {
	case 0:	/* straddles EOF */
		*len = 2 + rng_below(w, MAX_LEN - 1);
		*off = size - (off_t)rng_below(w, *len);
		if (*off < 0)
			*off = 0;
		return;
	case 1:	/* at or past EOF */
		*len = 1 + rng_below(w, MAX_LEN);
		*off = size + rng_below(w, 2 * PAGE);
		return;
	case 2:
	case 3:	/* page aligned offset and length */
		*len = PAGE * (1 + rng_below(w, MAX_LEN / PAGE));
		*off = rng_below(w, size / PAGE + 1) * PAGE;
		return;
	case 4:
	case 5:	/* small, anywhere */
		*len = 1 + rng_below(w, PAGE);
		break;
	default:
		*len = 1 + rng_below(w, MAX_LEN);
		break;
	}
	*off = rng_below(w, size + 1);
}

/* Read up to len bytes, stopping only at EOF: short reads are retried. */
static ssize_t pread_full(int fd, unsigned char *buf, size_t len, off_t off)
{
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		n = pread(fd, buf + done, len - done, off + done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		done += n;
	}
	return done;
}

static void report_mismatch(const struct file *f, off_t off, size_t len,
			    const struct worker *w, ssize_t got_ref,
			    ssize_t got_test)
{
	size_t i, common = got_ref < got_test ? got_ref : got_test;

	for (i = 0; i < common && w->ref_buf[i] == w->test_buf[i]; i++)
		;
	pthread_mutex_lock(&report_lock);
	if (!mismatch_reported) {
		mismatch_reported = true;
		printf("%s: MISMATCH: file %s offset %jd length %zu (thread %u): "
		       "first difference at byte %zu (file offset %jd): ",
		       PROG, f->name, (intmax_t)off, len, w->idx, i,
		       (intmax_t)(off + i));
		if (i < common)
			printf("ref 0x%02x test 0x%02x\n", w->ref_buf[i],
			       w->test_buf[i]);
		else
			printf("ref returned %zd bytes, test %zd\n", got_ref,
			       got_test);
		fflush(stdout);
	}
	pthread_mutex_unlock(&report_lock);
}

static void compare(struct worker *w, const struct file *f, off_t off,
		    size_t len, ssize_t got_ref, ssize_t got_test)
{
	w->st.reads++;
	w->st.bytes += got_ref < got_test ? got_ref : got_test;
	if (got_ref == got_test &&
	    !memcmp(w->ref_buf, w->test_buf, got_ref))
		return;
	w->st.mismatches++;
	report_mismatch(f, off, len, w, got_ref, got_test);
}

static int open_one(struct worker *w, int dir, const char *dname,
		    const char *name)
{
	int fd = openat(dir, name, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		w->st.errors++;
		report_error("open", dname, name, errno);
	}
	return fd;
}

static void close_one(struct worker *w, int fd, const char *dname,
		      const char *name)
{
	if (fd >= 0 && close(fd) < 0) {
		w->st.errors++;
		report_error("close", dname, name, errno);
	}
}

/* One random read of one random file, compared byte for byte. */
static void one_read(struct worker *w)
{
	unsigned int i = rng_below(w, nfiles);
	const struct file *f = &files[i];
	int ref_fd = w->ref_fds[i], test_fd = w->test_fds[i];
	ssize_t got_ref, got_test;
	size_t len;
	off_t off;

	pick_range(w, f->size, &off, &len);
	if (w->reopen) {
		ref_fd = open_one(w, ref_dir, ref_name, f->name);
		test_fd = open_one(w, test_dir, test_name, f->name);
	}
	if (ref_fd < 0 || test_fd < 0)
		goto out;
	got_test = pread_full(test_fd, w->test_buf, len, off);
	if (got_test < 0) {
		w->st.errors++;
		report_error("read", test_name, f->name, errno);
		goto out;
	}
	got_ref = pread_full(ref_fd, w->ref_buf, len, off);
	if (got_ref < 0) {
		w->st.errors++;
		report_error("read", ref_name, f->name, errno);
		goto out;
	}
	compare(w, f, off, len, got_ref, got_test);
out:
	if (w->reopen) {
		close_one(w, ref_fd, ref_name, f->name);
		close_one(w, test_fd, test_name, f->name);
	}
}

static void open_all(struct worker *w)
{
	unsigned int i;

	for (i = 0; i < nfiles; i++) {
		w->ref_fds[i] = w->test_fds[i] = -1;
		if (w->reopen)
			continue;
		w->ref_fds[i] = open_one(w, ref_dir, ref_name, files[i].name);
		w->test_fds[i] = open_one(w, test_dir, test_name,
					  files[i].name);
	}
}

static void close_all(struct worker *w)
{
	unsigned int i;

	for (i = 0; i < nfiles; i++) {
		close_one(w, w->ref_fds[i], ref_name, files[i].name);
		close_one(w, w->test_fds[i], test_name, files[i].name);
	}
}

static bool past_deadline(void)
{
	struct timespec now;

	if (clock_gettime(CLOCK_MONOTONIC, &now) < 0)
		return true;
	if (now.tv_sec != deadline.tv_sec)
		return now.tv_sec > deadline.tv_sec;
	return now.tv_nsec >= deadline.tv_nsec;
}

static void *run_worker(void *arg)
{
	struct worker *w = arg;
	uint64_t n;

	open_all(w);
	for (n = 0; iterations ? n < iterations : !past_deadline(); n++)
		one_read(w);
	close_all(w);
	return NULL;
}

static void setup_worker(struct worker *w, unsigned int idx, uint64_t seed)
{
	memset(w, 0, sizeof(*w));
	w->idx = idx;
	w->rng = mix_seed(seed, idx);
	w->reopen = idx % 2 == 1;
	w->ref_fds = xmalloc(nfiles * sizeof(int));
	w->test_fds = xmalloc(nfiles * sizeof(int));
	w->ref_buf = xmalloc(MAX_LEN);
	w->test_buf = xmalloc(MAX_LEN);
}

static void free_worker(struct worker *w)
{
	free(w->ref_fds);
	free(w->test_fds);
	free(w->ref_buf);
	free(w->test_buf);
}

static int open_dir(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0) {
		fprintf(stderr, "%s: open: %s: %s\n", PROG, path,
			strerror(errno));
		exit(2);
	}
	return fd;
}

static off_t file_size(int dir, const char *dname, const char *name)
{
	struct stat st;

	if (fstatat(dir, name, &st, 0) < 0)
		setup_fail("stat", dname, name);
	if (!S_ISREG(st.st_mode)) {
		fprintf(stderr, "%s: %s/%s: not a regular file\n", PROG, dname,
			name);
		exit(2);
	}
	return st.st_size;
}

/* A size difference is a mismatch in its own right; say so up front. */
static uint64_t setup_files(char **names, unsigned int count)
{
	uint64_t mismatches = 0;
	unsigned int i;
	off_t tsize;

	files = xmalloc(count * sizeof(*files));
	for (i = 0; i < count; i++) {
		if (names[i][0] == '/') {
			fprintf(stderr, "%s: %s: FILE must be relative\n", PROG,
				names[i]);
			exit(2);
		}
		files[i].name = names[i];
		files[i].size = file_size(ref_dir, ref_name, names[i]);
		tsize = file_size(test_dir, test_name, names[i]);
		if (tsize != files[i].size) {
			printf("%s: MISMATCH: file %s: size %jd in %s, %jd in %s\n",
			       PROG, names[i], (intmax_t)files[i].size,
			       ref_name, (intmax_t)tsize, test_name);
			mismatches++;
		}
	}
	nfiles = count;
	return mismatches;
}

static void __attribute__((noreturn)) usage(void)
{
	fprintf(stderr,
		"usage: %s [--threads N] [--seconds S | --iterations K] "
		"[--seed N] REFDIR TESTDIR FILE...\n", PROG);
	exit(2);
}

static uint64_t parse_num(const char *arg, const char *what, uint64_t min)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(arg, &end, 0);
	if (errno || end == arg || *end || arg[0] == '-' || v < min) {
		fprintf(stderr, "%s: bad %s: %s\n", PROG, what, arg);
		exit(2);
	}
	return v;
}

struct options {
	unsigned int threads;
	uint64_t seconds;
	uint64_t seed;
};

static void parse_args(int argc, char **argv, struct options *o)
{
	static const struct option opts[] = {
		{ "threads", required_argument, NULL, 't' },
		{ "seconds", required_argument, NULL, 's' },
		{ "iterations", required_argument, NULL, 'i' },
		{ "seed", required_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 },
	};
	bool have_seconds = false;
	int c;

	o->threads = 8;
	o->seconds = 5;
	o->seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 't')
			o->threads = parse_num(optarg, "thread count", 1);
		else if (c == 's')
			o->seconds = parse_num(optarg, "seconds", 1);
		else if (c == 'i')
			iterations = parse_num(optarg, "iterations", 1);
		else if (c == 'S')
			o->seed = parse_num(optarg, "seed", 0);
		else
			usage();
		have_seconds |= c == 's';
	}
	if (have_seconds && iterations) {
		fprintf(stderr,
			"%s: --seconds and --iterations exclude each other\n",
			PROG);
		usage();
	}
	if (o->threads > 4096) {
		fprintf(stderr, "%s: too many threads: %u\n", PROG, o->threads);
		exit(2);
	}
	if (argc - optind < 3)
		usage();
}

static void set_deadline(uint64_t seconds)
{
	if (clock_gettime(CLOCK_MONOTONIC, &deadline) < 0) {
		fprintf(stderr, "%s: clock_gettime: %s\n", PROG,
			strerror(errno));
		exit(2);
	}
	deadline.tv_sec += seconds;
}

static void start_workers(struct worker *ws, unsigned int count)
{
	unsigned int i;
	int err;

	for (i = 0; i < count; i++) {
		err = pthread_create(&ws[i].tid, NULL, run_worker, &ws[i]);
		if (err) {
			fprintf(stderr, "%s: pthread_create: %s\n", PROG,
				strerror(err));
			exit(2);
		}
	}
}

/* Join all workers and sum their stats; idle threads count as failure. */
static bool join_workers(struct worker *ws, unsigned int count,
			 struct stats *total)
{
	bool all_read = true;
	unsigned int i;
	int err;

	for (i = 0; i < count; i++) {
		err = pthread_join(ws[i].tid, NULL);
		if (err) {
			fprintf(stderr, "%s: pthread_join: %s\n", PROG,
				strerror(err));
			exit(2);
		}
		if (!ws[i].st.reads) {
			printf("%s: thread %u did no successful reads\n",
			       PROG, i);
			all_read = false;
		}
		total->reads += ws[i].st.reads;
		total->bytes += ws[i].st.bytes;
		total->mismatches += ws[i].st.mismatches;
		total->errors += ws[i].st.errors;
		free_worker(&ws[i]);
	}
	return all_read;
}

int main(int argc, char **argv)
{
	struct stats total = { 0 };
	struct options o;
	struct worker *ws;
	unsigned int i;
	bool all_read;

	parse_args(argc, argv, &o);
	ref_name = argv[optind];
	test_name = argv[optind + 1];
	ref_dir = open_dir(ref_name);
	test_dir = open_dir(test_name);
	total.mismatches = setup_files(argv + optind + 2, argc - optind - 2);

	printf("%s: seed %" PRIu64 ", %u threads, %u files, ", PROG, o.seed,
	       o.threads, nfiles);
	if (iterations)
		printf("%" PRIu64 " reads per thread\n", iterations);
	else
		printf("%" PRIu64 " seconds\n", o.seconds);
	if (fflush(stdout) == EOF)
		return 2;

	ws = xmalloc(o.threads * sizeof(*ws));
	for (i = 0; i < o.threads; i++)
		setup_worker(&ws[i], i, o.seed);
	set_deadline(o.seconds);
	start_workers(ws, o.threads);
	all_read = join_workers(ws, o.threads, &total);
	free(ws);

	printf("%s: %" PRIu64 " reads, %" PRIu64 " bytes compared, %" PRIu64
	       " mismatches, %" PRIu64 " read errors\n", PROG, total.reads,
	       total.bytes, total.mismatches, total.errors);
	if (fflush(stdout) == EOF) {
		fprintf(stderr, "%s: write: stdout: %s\n", PROG,
			strerror(errno));
		return 1;
	}
	return all_read && !total.mismatches && !total.errors ? 0 : 1;
}
