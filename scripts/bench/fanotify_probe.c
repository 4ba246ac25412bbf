// SPDX-License-Identifier: MIT
/*
 * fanotify_probe: measures the kernel facts the fanotify filler rests on
 * (pre-content events through an overlay, placeholders, mark memory).
 * A bench tool, not part of the product: scripts/bench/fanotify_scale.sh
 * and tests/integration/fanotify_kernel.sh build it with cc.
 *
 *   fanotify_probe caps PATH            which mark types accept which events
 *   fanotify_probe listen [opts] PATH.. log events, answer them
 *   fanotify_probe read MODE FILE [OFF [LEN]]
 *                                       what a reader gets (read, pread,
 *                                       mmap, sendfile, splice, cfr, fstat,
 *                                       readahead, fadvise: the hint alone,
 *                                       then no read)
 *   fanotify_probe mkfiles DIR N SIZE   N sparse files DIR/dNNNN/fNNNNNNN
 *   fanotify_probe scale [opts] DIR N   mark them: time, slab, pinning
 *
 * listen options: -t inode|mount|fs  -m open,pre,exec,access  -e (evictable)
 *   -i MOUNT (ignore mark for the same events on MOUNT)
 *   -r allow|deny|errno:N|hang|fill:whole|fill:prefix|fill:range  -R READYFILE
 *   -b BIND -s SRC (fill: write the file from SRC/<path> through BIND)
 * scale options: -t inode|mount|fs  -e  -m MASK
 *   -d (drop caches before and after marking: what stays pinned)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fanotify.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

/* 6.14+ uapi; Debian's headers may predate them */
#ifndef FAN_PRE_ACCESS
#define FAN_PRE_ACCESS 0x00100000
#endif
#ifndef FAN_EVENT_INFO_TYPE_RANGE
#define FAN_EVENT_INFO_TYPE_RANGE 6
struct fanotify_event_info_range {
	struct fanotify_event_info_header hdr;
	uint32_t pad;
	uint64_t offset;
	uint64_t count;
};
#endif
#ifndef FAN_DENY_ERRNO
#define FAN_DENY_ERRNO(err) (FAN_DENY | ((((uint32_t)(err)) & 0xff) << 24))
#endif
#ifndef FAN_MARK_EVICTABLE
#define FAN_MARK_EVICTABLE 0x00000200
#endif
#ifndef FAN_MARK_IGNORE
#define FAN_MARK_IGNORE 0x00000400
#endif

static void die(const char *what)
{
	fprintf(stderr, "fanotify_probe: %s: %s\n", what, strerror(errno));
	exit(2);
}

static unsigned int mark_type(const char *s)
{
	if (!strcmp(s, "inode"))
		return FAN_MARK_INODE;
	if (!strcmp(s, "mount"))
		return FAN_MARK_MOUNT;
	if (!strcmp(s, "fs"))
		return FAN_MARK_FILESYSTEM;
	fprintf(stderr, "fanotify_probe: mark type %s: inode, mount or fs\n", s);
	exit(2);
}

static uint64_t parse_mask(const char *s)
{
	uint64_t mask = 0;
	char *copy = strdup(s), *save = NULL, *tok;

	if (!copy)
		die("strdup");
	for (tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (!strcmp(tok, "open"))
			mask |= FAN_OPEN_PERM;
		else if (!strcmp(tok, "pre"))
			mask |= FAN_PRE_ACCESS;
		else if (!strcmp(tok, "exec"))
			mask |= FAN_OPEN_EXEC_PERM;
		else if (!strcmp(tok, "access"))
			mask |= FAN_ACCESS_PERM;
		else {
			fprintf(stderr, "fanotify_probe: event %s?\n", tok);
			exit(2);
		}
	}
	free(copy);
	return mask;
}

static int pre_content_group(void)
{
	int fd = fanotify_init(FAN_CLASS_PRE_CONTENT | FAN_CLOEXEC |
			       FAN_UNLIMITED_MARKS | FAN_UNLIMITED_QUEUE,
			       O_RDONLY | O_LARGEFILE | O_CLOEXEC);

	if (fd < 0)
		die("fanotify_init(FAN_CLASS_PRE_CONTENT)");
	return fd;
}

/* caps: one line per (mark type, event): ok or the errno the kernel gave */
static int cmd_caps(int argc, char **argv)
{
	static const char *const types[] = { "inode", "mount", "fs" };
	static const char *const events[] = { "open", "pre", "exec", "access" };
	unsigned int t, e, evict;

	if (argc != 1) {
		fprintf(stderr, "usage: fanotify_probe caps PATH\n");
		return 2;
	}
	for (t = 0; t < 3; t++)
		for (e = 0; e < 4; e++)
			for (evict = 0; evict < 2; evict++) {
				int g = pre_content_group();
				unsigned int flags = FAN_MARK_ADD | mark_type(types[t]);
				int rc;

				if (evict) {
					if (t != 0)
						continue;
					flags |= FAN_MARK_EVICTABLE;
				}
				rc = fanotify_mark(g, flags, parse_mask(events[e]),
						   AT_FDCWD, argv[0]);
				printf("%s%s %s %s\n", types[t],
				       evict ? "-evictable" : "", events[e],
				       rc ? strerrorname_np(errno) : "ok");
				close(g);
			}
	return 0;
}

static volatile sig_atomic_t stop;
static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

/* the event's range info (pre-content events only): true if present */
static bool event_range(const struct fanotify_event_metadata *m,
			uint64_t *off, uint64_t *count)
{
	size_t pos;

	for (pos = sizeof(*m); pos + sizeof(struct fanotify_event_info_header) <= m->event_len;) {
		const struct fanotify_event_info_header *h =
			(const void *)((const char *)m + pos);

		if (h->len == 0)
			break;
		if (h->info_type == FAN_EVENT_INFO_TYPE_RANGE) {
			const struct fanotify_event_info_range *r = (const void *)h;

			*off = r->offset;
			*count = r->count;
			return true;
		}
		pos += h->len;
	}
	return false;
}

static void print_event(const struct fanotify_event_metadata *m)
{
	char link[64], path[PATH_MAX];
	const char *sep = "";
	ssize_t n;
	uint64_t off, count;

	printf("event");
	if (m->mask & FAN_OPEN_PERM) {
		printf("%sOPEN_PERM", " ");
		sep = "|";
	}
	if (m->mask & FAN_OPEN_EXEC_PERM) {
		printf("%sOPEN_EXEC_PERM", *sep ? sep : " ");
		sep = "|";
	}
	if (m->mask & FAN_ACCESS_PERM) {
		printf("%sACCESS_PERM", *sep ? sep : " ");
		sep = "|";
	}
	if (m->mask & FAN_PRE_ACCESS)
		printf("%sPRE_ACCESS", *sep ? sep : " ");
	snprintf(link, sizeof(link), "/proc/self/fd/%d", m->fd);
	n = m->fd >= 0 ? readlink(link, path, sizeof(path) - 1) : -1;
	if (n < 0)
		n = 0;
	path[n] = '\0';
	printf(" pid=%d path=%s", m->pid, path);
	if (m->fd >= 0) {
		struct stat st;

		if (!fstat(m->fd, &st))
			printf(" dev=%u:%u ino=%ju size=%jd",
			       major(st.st_dev), minor(st.st_dev),
			       (uintmax_t)st.st_ino, (intmax_t)st.st_size);
		n = fcntl(m->fd, F_GETFL);
		printf(" fd_flags=%s", n < 0 ? "?" :
		       (n & O_ACCMODE) == O_RDONLY ? "ro" : "rw");
	}
	if (event_range(m, &off, &count))
		printf(" range=%" PRIu64 "+%" PRIu64, off, count);
	printf("\n");
	fflush(stdout);
}

/*
 * fill: write the event's file from SRC/<its path> through the bind mount
 * BIND (which carries the ignore mark): the whole file (whole), from 0 to
 * the end of the event's range (prefix), or just the range (range).
 */
enum fill_how { FILL_NONE, FILL_WHOLE, FILL_PREFIX, FILL_RANGE };

static int fill_file(const struct fanotify_event_metadata *m, int bind_fd,
		     const char *src, enum fill_how how, uint64_t off,
		     uint64_t count, bool have_range)
{
	char link[64], path[PATH_MAX], from[PATH_MAX * 2];
	struct {
		struct file_handle fh;
		unsigned char buf[MAX_HANDLE_SZ];
	} h;
	int mount_id, in, out, rc = -1;
	struct stat st;
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", m->fd);
	n = readlink(link, path, sizeof(path) - 1);
	if (n < 0)
		return -1;
	path[n] = '\0';
	if ((size_t)snprintf(from, sizeof(from), "%s%s", src, path) >= sizeof(from))
		return -1;
	h.fh.handle_bytes = MAX_HANDLE_SZ;
	if (name_to_handle_at(m->fd, "", &h.fh, &mount_id, AT_EMPTY_PATH))
		return -1;
	out = open_by_handle_at(bind_fd, &h.fh, O_RDWR | O_CLOEXEC);
	if (out < 0)
		return -1;
	in = open(from, O_RDONLY | O_CLOEXEC);
	if (in < 0 || fstat(in, &st))
		goto out;
	if (how == FILL_WHOLE || !have_range) {
		off = 0;
		count = st.st_size;
	} else if (how == FILL_PREFIX) {
		count += off;
		off = 0;
	}
	if (off >= (uint64_t)st.st_size) {
		rc = 0;
		goto out;
	}
	if (off + count > (uint64_t)st.st_size)
		count = st.st_size - off;
	while (count) {
		char buf[65536];

		n = pread(in, buf, count < sizeof(buf) ? count : sizeof(buf), off);
		if (n <= 0 || pwrite(out, buf, n, off) != n)
			goto out;
		off += n;
		count -= n;
	}
	rc = 0;
out:
	if (in >= 0)
		close(in);
	close(out);
	return rc;
}

static int fill_event(const struct fanotify_event_metadata *m, int bind_fd,
		      const char *src, enum fill_how how)
{
	uint64_t off = 0, count = 0;
	bool have_range = event_range(m, &off, &count);

	/* at open there is no range: only a whole fill makes sense */
	if (!have_range && how != FILL_WHOLE)
		return 0;
	return fill_file(m, bind_fd, src, how, off, count, have_range);
}

static int cmd_listen(int argc, char **argv)
{
	unsigned int type = FAN_MARK_INODE, extra = 0;
	uint64_t mask = FAN_OPEN_PERM | FAN_PRE_ACCESS;
	const char *ignore = NULL, *ready = NULL, *resp = "allow";
	uint32_t answer = FAN_ALLOW;
	bool hang = false;
	enum fill_how fill = FILL_NONE;
	const char *bind = NULL, *src = NULL;
	int bind_fd = -1;
	char buf[8192] __attribute__((aligned(8)));
	struct sigaction sa = { .sa_handler = on_term };
	int g, opt, i;

	optind = 0;
	while ((opt = getopt(argc + 1, argv - 1, "t:m:ei:r:R:b:s:")) != -1) {
		switch (opt) {
		case 't': type = mark_type(optarg); break;
		case 'm': mask = parse_mask(optarg); break;
		case 'e': extra |= FAN_MARK_EVICTABLE; break;
		case 'i': ignore = optarg; break;
		case 'r': resp = optarg; break;
		case 'R': ready = optarg; break;
		case 'b': bind = optarg; break;
		case 's': src = optarg; break;
		default: return 2;
		}
	}
	if (!strcmp(resp, "deny"))
		answer = FAN_DENY;
	else if (!strncmp(resp, "errno:", 6))
		answer = FAN_DENY_ERRNO(atoi(resp + 6));
	else if (!strcmp(resp, "hang"))
		hang = true;
	else if (!strcmp(resp, "fill:whole"))
		fill = FILL_WHOLE;
	else if (!strcmp(resp, "fill:prefix"))
		fill = FILL_PREFIX;
	else if (!strcmp(resp, "fill:range"))
		fill = FILL_RANGE;
	else if (strcmp(resp, "allow")) {
		fprintf(stderr, "fanotify_probe: response %s?\n", resp);
		return 2;
	}
	argv += optind - 1; /* getopt saw argv - 1 */
	argc -= optind - 1;
	if (argc < 1) {
		fprintf(stderr, "usage: fanotify_probe listen [opts] PATH...\n");
		return 2;
	}
	/* no SA_RESTART: SIGTERM must break the blocking read */
	if (sigaction(SIGTERM, &sa, NULL) || sigaction(SIGINT, &sa, NULL))
		die("sigaction");
	g = pre_content_group();
	for (i = 0; i < argc; i++)
		if (fanotify_mark(g, FAN_MARK_ADD | type | extra, mask,
				  AT_FDCWD, argv[i])) {
			fprintf(stderr, "fanotify_probe: mark %s: %s\n", argv[i],
				strerrorname_np(errno));
			return 3;
		}
	if (ignore && fanotify_mark(g, FAN_MARK_ADD | FAN_MARK_MOUNT |
				    FAN_MARK_IGNORE_SURV, mask, AT_FDCWD, ignore)) {
		fprintf(stderr, "fanotify_probe: ignore mark %s: %s\n", ignore,
			strerrorname_np(errno));
		return 3;
	}
	if (fill != FILL_NONE) {
		if (!bind || !src) {
			fprintf(stderr, "fanotify_probe: fill needs -b BIND -s SRC\n");
			return 2;
		}
		bind_fd = open(bind, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (bind_fd < 0)
			die(bind);
	}
	if (ready) {
		int fd = open(ready, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);

		if (fd < 0)
			die(ready);
		close(fd);
	}
	while (!stop) {
		ssize_t len = read(g, buf, sizeof(buf));
		struct fanotify_event_metadata *m = (void *)buf;

		if (len < 0) {
			if (errno == EINTR)
				continue;
			die("read fanotify");
		}
		for (; FAN_EVENT_OK(m, len); m = FAN_EVENT_NEXT(m, len)) {
			struct fanotify_response r = { .fd = m->fd, .response = answer };

			print_event(m);
			if (fill != FILL_NONE && fill_event(m, bind_fd, src, fill)) {
				printf("fill: %s\n", strerrorname_np(errno));
				r.response = FAN_DENY_ERRNO(EIO);
			}
			if (hang)
				continue; /* keep fd, never answer */
			if (write(g, &r, sizeof(r)) != sizeof(r)) {
				printf("response %#x: %s\n", answer,
				       strerrorname_np(errno));
				fflush(stdout);
				/* fall back to allow so the reader goes on */
				r.response = FAN_ALLOW;
				if (write(g, &r, sizeof(r)) != sizeof(r))
					die("write response");
			}
			close(m->fd);
		}
	}
	if (bind_fd >= 0)
		close(bind_fd);
	close(g);
	return 0;
}

static sigjmp_buf bus_jmp;
static void on_bus(int sig)
{
	siglongjmp(bus_jmp, sig);
}

static void summary(const char *mode, const unsigned char *p, size_t n,
		    const char *result)
{
	uint64_t fnv = 0xcbf29ce484222325ULL; /* FNV-1a: compare contents */
	size_t i, zero = 0;

	for (i = 0; i < n; i++) {
		zero += !p[i];
		fnv = (fnv ^ p[i]) * 0x100000001b3ULL;
	}
	printf("mode=%s bytes=%zu zero=%zu nonzero=%zu result=%s fnv=%016" PRIx64 "\n",
	       mode, n, zero, n - zero, result, fnv);
}

static const char *errname(int err)
{
	static char buf[32];

	snprintf(buf, sizeof(buf), "%s", strerrorname_np(err));
	return buf;
}

/* copy the mapping byte by byte; a SIGBUS ends the copy where it hit */
static void mmap_read(int fd, off_t off, const size_t len, unsigned char *buf)
{
	struct sigaction sa = { .sa_handler = on_bus };
	volatile size_t i = 0;
	long page = sysconf(_SC_PAGESIZE);
	unsigned char *p;
	int sig;

	if (sigaction(SIGBUS, &sa, NULL) || sigaction(SIGSEGV, &sa, NULL))
		die("sigaction");
	p = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, off & ~(page - 1));
	if (p == MAP_FAILED) {
		printf("mode=mmap result=%s\n", errname(errno));
		return;
	}
	sig = sigsetjmp(bus_jmp, 1);
	if (!sig)
		for (i = 0; i < len; i++)
			buf[i] = p[i];
	summary("mmap", buf, i, sig == SIGBUS ? "SIGBUS" : sig ? "SIGSEGV" : "ok");
	munmap(p, len);
}

/* read MODE FILE [OFF [LEN]]: what a reader of FILE gets */
static int cmd_read(int argc, char **argv)
{
	const char *mode, *file;
	off_t off = 0;
	size_t len = 0;
	unsigned char *buf;
	struct stat st;
	int fd;
	ssize_t n = 0;
	size_t got = 0;
	const char *result = "ok";

	if (argc < 2) {
		fprintf(stderr, "usage: fanotify_probe read MODE FILE [OFF [LEN]]\n");
		return 2;
	}
	mode = argv[0];
	file = argv[1];
	if (argc > 2)
		off = strtoll(argv[2], NULL, 0);
	fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		printf("mode=%s open=%s\n", mode, errname(errno));
		return 1;
	}
	if (fstat(fd, &st))
		die("fstat");
	len = argc > 3 ? strtoull(argv[3], NULL, 0) :
	      st.st_size > off ? (size_t)(st.st_size - off) : 4096;
	if (!strcmp(mode, "readahead") || !strcmp(mode, "fadvise")) {
		int rc = !strcmp(mode, "readahead") ?
			 (readahead(fd, off, len) < 0 ? errno : 0) :
			 posix_fadvise(fd, off, len, POSIX_FADV_WILLNEED);

		printf("mode=%s result=%s\n", mode, rc ? errname(rc) : "ok");
		close(fd);
		return 0;
	}
	if (!strcmp(mode, "fstat")) {
		printf("mode=fstat size=%jd blocks=%jd\n", (intmax_t)st.st_size,
		       (intmax_t)st.st_blocks);
		close(fd);
		return 0;
	}
	buf = calloc(1, len ? len : 1);
	if (!buf)
		die("calloc");
	if (!strcmp(mode, "read") || !strcmp(mode, "pread")) {
		while (got < len) {
			n = pread(fd, buf + got, len - got, off + got);
			if (n <= 0)
				break;
			got += n;
		}
		result = n < 0 ? errname(errno) : got < len ? "short" : "ok";
		summary(mode, buf, got, result);
	} else if (!strcmp(mode, "mmap")) {
		mmap_read(fd, off, len, buf);
	} else if (!strcmp(mode, "sendfile") || !strcmp(mode, "splice") ||
		   !strcmp(mode, "cfr")) {
		/* the copy goes to $TMPDIR (cfr: same filesystem or not) */
		const char *tmpdir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
		char tmpl[PATH_MAX];
		int out, pfd[2];
		loff_t in_off = off, out_off = 0;

		if ((size_t)snprintf(tmpl, sizeof(tmpl), "%s/fanotify_probe.XXXXXX",
				     tmpdir) >= sizeof(tmpl)) {
			errno = ENAMETOOLONG;
			die("TMPDIR");
		}
		out = mkstemp(tmpl);
		if (out < 0)
			die("mkstemp");
		unlink(tmpl);
		if (!strcmp(mode, "sendfile")) {
			n = sendfile(out, fd, &in_off, len);
		} else if (!strcmp(mode, "cfr")) {
			n = copy_file_range(fd, &in_off, out, &out_off, len, 0);
		} else {
			if (pipe(pfd))
				die("pipe");
			n = splice(fd, &in_off, pfd[1], NULL,
				   len < 65536 ? len : 65536, 0);
			if (n > 0)
				n = splice(pfd[0], NULL, out, NULL, n, 0);
			close(pfd[0]);
			close(pfd[1]);
		}
		if (n < 0) {
			result = errname(errno);
			n = 0;
		} else {
			got = n;
			result = got < len ? "short" : "ok";
			if (pread(out, buf, got, 0) != (ssize_t)got)
				die("pread copy");
		}
		summary(mode, buf, got, result);
		close(out);
	} else {
		fprintf(stderr, "fanotify_probe: mode %s?\n", mode);
		return 2;
	}
	free(buf);
	close(fd);
	return 0;
}

static int file_path(char *buf, size_t size, const char *dir, unsigned long i,
		     bool parent_only)
{
	int n = parent_only ?
		snprintf(buf, size, "%s/d%04lu", dir, i / 1000) :
		snprintf(buf, size, "%s/d%04lu/f%07lu", dir, i / 1000, i);

	if (n < 0 || (size_t)n >= size) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

static int cmd_mkfiles(int argc, char **argv)
{
	char path[PATH_MAX];
	unsigned long n, i;
	off_t size;

	if (argc != 3) {
		fprintf(stderr, "usage: fanotify_probe mkfiles DIR N SIZE\n");
		return 2;
	}
	n = strtoul(argv[1], NULL, 0);
	size = strtoll(argv[2], NULL, 0);
	if (mkdir(argv[0], 0755) && errno != EEXIST)
		die(argv[0]);
	for (i = 0; i < n; i++) {
		int fd;

		if (i % 1000 == 0) {
			if (file_path(path, sizeof(path), argv[0], i, true))
				die(argv[0]);
			if (mkdir(path, 0755) && errno != EEXIST)
				die(path);
		}
		if (file_path(path, sizeof(path), argv[0], i, false))
			die(argv[0]);
		fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
		if (fd < 0)
			die(path);
		if (size && ftruncate(fd, size))
			die(path);
		close(fd);
	}
	return 0;
}

/* objects in a slab cache (merged caches count their aliases too) */
static long slab_objects(const char *cache)
{
	char path[256];
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/kernel/slab/%s/objects", cache);
	f = fopen(path, "re");
	if (!f)
		return -1;
	if (fscanf(f, "%ld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

static long slab_size(const char *cache)
{
	char path[256];
	long v = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/kernel/slab/%s/slab_size", cache);
	f = fopen(path, "re");
	if (!f)
		return 0;
	if (fscanf(f, "%ld", &v) != 1)
		v = 0;
	fclose(f);
	return v;
}

static long meminfo_kb(const char *key)
{
	char line[256];
	size_t klen = strlen(key);
	long v = -1;
	FILE *f = fopen("/proc/meminfo", "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, klen) && line[klen] == ':') {
			v = strtol(line + klen + 1, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

static long self_rss_kb(void)
{
	char line[256];
	long v = -1;
	FILE *f = fopen("/proc/self/status", "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "VmRSS:", 6))
			v = strtol(line + 6, NULL, 10);
	fclose(f);
	return v;
}

static const char *const caches[] = {
	"fanotify_mark", "fsnotify_mark_connector", "dentry", "inode_cache",
	"shmem_inode_cache", "xfs_inode", "ext4_inode_cache",
};
#define NCACHES (sizeof(caches) / sizeof(caches[0]))

struct snap {
	long objs[NCACHES];
	long slab_kb;
};

static void take(struct snap *s)
{
	size_t i;

	for (i = 0; i < NCACHES; i++)
		s->objs[i] = slab_objects(caches[i]);
	s->slab_kb = meminfo_kb("Slab");
}

static void report(const char *what, const struct snap *a, const struct snap *b,
		   unsigned long n)
{
	size_t i;

	printf("%s: Slab %+ld kB (%.1f B/file)", what, b->slab_kb - a->slab_kb,
	       n ? (b->slab_kb - a->slab_kb) * 1024.0 / n : 0.0);
	for (i = 0; i < NCACHES; i++) {
		if (a->objs[i] < 0)
			continue;
		printf(" %s %+ld (x%ldB)", caches[i], b->objs[i] - a->objs[i],
		       slab_size(caches[i]));
	}
	printf("\n");
	fflush(stdout);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void drop_caches(void)
{
	int fd = open("/proc/sys/vm/drop_caches", O_WRONLY | O_CLOEXEC);

	sync();
	if (fd < 0 || write(fd, "2", 1) != 1)
		die("drop_caches");
	close(fd);
}

static int cmd_scale(int argc, char **argv)
{
	unsigned int type = FAN_MARK_INODE, extra = 0;
	uint64_t mask = FAN_OPEN_PERM | FAN_PRE_ACCESS;
	bool drop = false;
	char path[PATH_MAX];
	struct snap s0, s1, s2;
	unsigned long n, i;
	double t0, t1;
	long rss0;
	int g, opt;

	optind = 0;
	while ((opt = getopt(argc + 1, argv - 1, "t:m:ed")) != -1) {
		switch (opt) {
		case 't': type = mark_type(optarg); break;
		case 'm': mask = parse_mask(optarg); break;
		case 'e': extra |= FAN_MARK_EVICTABLE; break;
		case 'd': drop = true; break;
		default: return 2;
		}
	}
	argv += optind - 1; /* getopt saw argv - 1 */
	argc -= optind - 1;
	if (argc != 2) {
		fprintf(stderr, "usage: fanotify_probe scale [opts] DIR N\n");
		return 2;
	}
	n = strtoul(argv[1], NULL, 0);
	g = pre_content_group();
	rss0 = self_rss_kb();
	if (drop)
		drop_caches(); /* a cold baseline: marking loads what it pins */
	take(&s0);
	t0 = now();
	if (type == FAN_MARK_INODE) {
		for (i = 0; i < n; i++) {
			if (file_path(path, sizeof(path), argv[0], i, false))
				die("path");
			if (fanotify_mark(g, FAN_MARK_ADD | type | extra, mask,
					  AT_FDCWD, path))
				die(path);
		}
	} else if (fanotify_mark(g, FAN_MARK_ADD | type, mask, AT_FDCWD,
				 argv[0])) {
		die(argv[0]);
	}
	t1 = now();
	take(&s1);
	printf("marks: %s%s n=%lu time=%.3fs (%.2f us/file) rss=%+ldkB\n",
	       type == FAN_MARK_INODE ? "inode" : type == FAN_MARK_MOUNT ?
	       "mount" : "fs", extra ? "-evictable" : "", n, t1 - t0,
	       (t1 - t0) * 1e6 / n, self_rss_kb() - rss0);
	report("after marking", &s0, &s1, n);
	if (drop) {
		drop_caches();
		take(&s2);
		report("after drop_caches", &s0, &s2, n);
	}
	t0 = now();
	close(g);
	printf("group close: %.3fs\n", now() - t0);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: fanotify_probe caps|listen|read|mkfiles|scale ...\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(argv[1], "caps"))
		return cmd_caps(argc - 2, argv + 2);
	if (!strcmp(argv[1], "listen"))
		return cmd_listen(argc - 2, argv + 2);
	if (!strcmp(argv[1], "read"))
		return cmd_read(argc - 2, argv + 2);
	if (!strcmp(argv[1], "mkfiles"))
		return cmd_mkfiles(argc - 2, argv + 2);
	if (!strcmp(argv[1], "scale"))
		return cmd_scale(argc - 2, argv + 2);
	fprintf(stderr, "fanotify_probe: %s?\n", argv[1]);
	return 2;
}
