// SPDX-License-Identifier: MIT
/*
 * treesum - print a manifest of a tree for diffing against another tree.
 *
 * Usage: treesum [--exclude-xattr-prefix P]... [--no-atime] DIR
 *
 * One line per entry, sorted by raw path bytes; the root is ".".  A line
 * is the escaped path followed by space-separated key=value fields:
 *
 *   type mode uid gid size mtime [atime] [nlink] [rdev] [target] [sha256]
 *   [xattr:NAME=HEX]... [hl=PATH] [ERROR]
 *
 * Strings are escaped (\\, \n, \t, \xHH for anything else outside ! to ~,
 * space included) so every line splits unambiguously on spaces.  Nothing
 * that depends on the filesystem instance (st_dev, st_ino, ctime, directory
 * size and nlink) is printed.  Hardlinks are described by hl=, the smallest
 * path in the tree sharing the inode, so equal link structures print equal.
 * Symlinks are never followed; mounts below DIR are walked like any dir.
 *
 * Files and directories are opened O_NOATIME, but readlink may still bump
 * a symlink's atime (relatime: when atime <= mtime or is a day old).  The
 * atime printed predates that, yet a second run may see the new value:
 * use --no-atime on such trees.  gentree's atimes are immune (after 2100).
 * Exit status: 0 ok, 2 usage error or anything unreadable (the manifest
 * is still printed, with ERROR on entries that could not be read fully).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#define PROG "treesum"
#define CHUNK (1024 * 1024)

struct sb {
	char *buf;
	size_t len, cap;
};

struct entry {
	char *path;		/* raw path relative to DIR, "" for DIR */
	char *text;		/* the fields, hl= excepted */
	dev_t dev;
	ino_t ino;
	bool linked;		/* non-directory with nlink > 1 */
	const char *group;	/* smallest path sharing dev and ino */
};

static const char *root;
static const char **excludes;
static size_t nexcludes;
static bool no_atime;
static bool failed;

static struct entry *entries;
static size_t nentries, entries_cap;

static unsigned char iobuf[CHUNK];
static const unsigned char zeros[CHUNK];	/* stands in for holes */

static void __attribute__((noreturn)) out_of_memory(void)
{
	fprintf(stderr, "%s: out of memory\n", PROG);
	exit(2);
}

static void *xrealloc(void *p, size_t size)
{
	p = realloc(p, size ? size : 1);
	if (!p)
		out_of_memory();
	return p;
}

static void sb_grow(struct sb *sb, size_t more)
{
	if (sb->len + more + 1 <= sb->cap)
		return;
	while (sb->len + more + 1 > sb->cap)
		sb->cap = sb->cap ? sb->cap * 2 : 256;
	sb->buf = xrealloc(sb->buf, sb->cap);
}

static void sb_add(struct sb *sb, const void *data, size_t len)
{
	sb_grow(sb, len);
	memcpy(sb->buf + sb->len, data, len);
	sb->len += len;
	sb->buf[sb->len] = '\0';
}

static void sb_addf(struct sb *sb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void sb_addf(struct sb *sb, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		out_of_memory();
	sb_grow(sb, n);
	va_start(ap, fmt);
	vsnprintf(sb->buf + sb->len, n + 1, fmt, ap);
	va_end(ap);
	sb->len += n;
}

static void sb_escape(struct sb *sb, const char *s, size_t len)
{
	unsigned char c;
	size_t i;

	for (i = 0; i < len; i++) {
		c = s[i];
		if (c == '\\')
			sb_add(sb, "\\\\", 2);
		else if (c == '\n')
			sb_add(sb, "\\n", 2);
		else if (c == '\t')
			sb_add(sb, "\\t", 2);
		else if (c > ' ' && c < 0x7f)
			sb_add(sb, &c, 1);
		else
			sb_addf(sb, "\\x%02x", c);
	}
}

static void sb_hex(struct sb *sb, const unsigned char *data, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	sb_grow(sb, 2 * len);
	for (i = 0; i < len; i++) {
		sb->buf[sb->len++] = digits[data[i] >> 4];
		sb->buf[sb->len++] = digits[data[i] & 15];
	}
	sb->buf[sb->len] = '\0';
}

/*
 * Report "treesum: what: DIR/path: strerror(err)", or without the strerror
 * part if err is 0, and remember to exit 2.
 */
static void report_errno(const char *what, const char *path, int err)
{
	struct sb sb = { 0 };

	sb_escape(&sb, path, strlen(path));
	fprintf(stderr, "%s: %s: %s%s%s%s%s\n", PROG, what, root,
		*path ? "/" : "", sb.buf ? sb.buf : "", err ? ": " : "",
		err ? strerror(err) : "");
	free(sb.buf);
	failed = true;
}

static void report(const char *what, const char *path)
{
	report_errno(what, path, errno);
}

/* O_NOATIME keeps reads from changing what we report; it needs ownership. */
static int open_noatime(int dfd, const char *name, int flags)
{
	int fd;

	flags |= O_CLOEXEC | O_NOFOLLOW | O_NOCTTY;
	fd = openat(dfd, name, flags | O_NOATIME);
	if (fd < 0 && errno == EPERM)
		fd = openat(dfd, name, flags);
	return fd;
}

static char *join(const char *dir, const char *name)
{
	char *path;

	if (!*dir)
		path = strdup(name);
	else if (asprintf(&path, "%s/%s", dir, name) < 0)
		path = NULL;
	if (!path)
		out_of_memory();
	return path;
}

static const char *type_name(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG:
		return "reg";
	case S_IFDIR:
		return "dir";
	case S_IFLNK:
		return "lnk";
	case S_IFCHR:
		return "chr";
	case S_IFBLK:
		return "blk";
	case S_IFIFO:
		return "fifo";
	case S_IFSOCK:
		return "sock";
	}
	return "unknown";
}

static void hash_update(EVP_MD_CTX *ctx, const void *data, size_t len)
{
	if (EVP_DigestUpdate(ctx, data, len) != 1) {
		fprintf(stderr, "%s: EVP_DigestUpdate failed\n", PROG);
		exit(2);
	}
}

static void hash_zeros(EVP_MD_CTX *ctx, off_t len)
{
	size_t n;

	for (; len > 0; len -= n) {
		n = len < CHUNK ? (size_t)len : CHUNK;
		hash_update(ctx, zeros, n);
	}
}

/* Hash [off, end) as read; the file must not end before end. */
static int hash_range(int fd, off_t off, off_t end, EVP_MD_CTX *ctx,
		      const char *path)
{
	ssize_t n;
	size_t want;

	while (off < end) {
		want = end - off < CHUNK ? (size_t)(end - off) : CHUNK;
		n = pread(fd, iobuf, want, off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			report("read", path);
			return -1;
		}
		if (n == 0) {
			report_errno("file shorter than its size", path, 0);
			return -1;
		}
		hash_update(ctx, iobuf, n);
		off += n;
	}
	return 0;
}

/*
 * Find the next data extent [*data, *hole) at or after off, clamped to
 * size.  Without SEEK_DATA support everything counts as data.
 */
static int find_data(int fd, off_t off, off_t size, off_t *data, off_t *hole,
		     const char *path)
{
	*data = lseek(fd, off, SEEK_DATA);
	if (*data < 0 && errno == ENXIO) {
		*data = *hole = size;	/* only holes up to EOF */
		return 0;
	}
	if (*data < 0 && (errno == EINVAL || errno == EOPNOTSUPP)) {
		*data = off;
		*hole = size;
		return 0;
	}
	if (*data < 0) {
		report("lseek SEEK_DATA", path);
		return -1;
	}
	if (*data > size)
		*data = size;
	*hole = lseek(fd, *data, SEEK_HOLE);
	if (*hole < 0) {
		report("lseek SEEK_HOLE", path);
		return -1;
	}
	if (*hole > size)
		*hole = size;
	return 0;
}

static int hash_content(int fd, off_t size, EVP_MD_CTX *ctx, const char *path)
{
	off_t off = 0, data, hole;

	while (off < size) {
		if (find_data(fd, off, size, &data, &hole, path) < 0)
			return -1;
		hash_zeros(ctx, data - off);
		if (hash_range(fd, data, hole, ctx, path) < 0)
			return -1;
		off = hole;
	}
	return 0;
}

/* Content past st_size would go unhashed, so it is an error. */
static int check_eof(int fd, off_t size, const char *path)
{
	unsigned char c;
	ssize_t n;

	do
		n = pread(fd, &c, 1, size);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		report("read", path);
		return -1;
	}
	if (n > 0) {
		report_errno("file longer than its size", path, 0);
		return -1;
	}
	return 0;
}

static int digest_fd(int fd, const struct stat *st, struct sb *sb,
		     const char *path)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen;
	EVP_MD_CTX *ctx;
	int ret = -1;

	ctx = EVP_MD_CTX_new();
	if (!ctx)
		out_of_memory();
	if (EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
		fprintf(stderr, "%s: EVP_DigestInit_ex failed\n", PROG);
		exit(2);
	}
	if (hash_content(fd, st->st_size, ctx, path) < 0 ||
	    check_eof(fd, st->st_size, path) < 0)
		goto out;
	if (EVP_DigestFinal_ex(ctx, md, &mdlen) != 1) {
		fprintf(stderr, "%s: EVP_DigestFinal_ex failed\n", PROG);
		exit(2);
	}
	sb_add(sb, " sha256=", 8);
	sb_hex(sb, md, mdlen);
	ret = 0;
out:
	EVP_MD_CTX_free(ctx);
	return ret;
}

static int add_digest(int dfd, const char *name, const struct stat *st,
		      struct sb *sb, const char *path)
{
	struct stat fst;
	int fd, ret;

	fd = open_noatime(dfd, name, O_RDONLY);
	if (fd < 0) {
		report("open", path);
		return -1;
	}
	if (fstat(fd, &fst) < 0) {
		report("fstat", path);
		close(fd);
		return -1;
	}
	if (fst.st_dev != st->st_dev || fst.st_ino != st->st_ino) {
		report_errno("replaced during the walk", path, 0);
		close(fd);
		return -1;
	}
	ret = digest_fd(fd, st, sb, path);
	if (close(fd) < 0 && ret == 0) {
		report("close", path);
		ret = -1;
	}
	return ret;
}

/* Size from lstat can be wrong (procfs says 0), so grow until it fits. */
static int add_target(int dfd, const char *name, const struct stat *st,
		      struct sb *sb, const char *path)
{
	size_t size = st->st_size > 0 ? (size_t)st->st_size + 1 : 256;
	char *buf = NULL;
	ssize_t n;

	for (;;) {
		buf = xrealloc(buf, size);
		n = readlinkat(dfd, name, buf, size);
		if (n < 0) {
			report("readlink", path);
			free(buf);
			return -1;
		}
		if ((size_t)n < size)
			break;
		size *= 2;
	}
	sb_add(sb, " target=", 8);
	sb_escape(sb, buf, n);
	free(buf);
	return 0;
}

/* llistxattr into a buffer sized by a probe; retry if it grew meanwhile. */
static ssize_t list_xattrs(const char *name, char **bufp, const char *path)
{
	ssize_t len;

	for (;;) {
		len = llistxattr(name, NULL, 0);
		if (len <= 0)
			break;
		*bufp = xrealloc(*bufp, len);
		len = llistxattr(name, *bufp, len);
		if (len >= 0 || errno != ERANGE)
			break;
	}
	if (len < 0 && (errno == ENOTSUP || errno == ENOSYS))
		return 0;	/* no xattr support means no xattrs */
	if (len < 0)
		report("listxattr", path);
	return len;
}

static ssize_t get_xattr(const char *name, const char *attr, char **bufp,
			 const char *path)
{
	ssize_t len;

	for (;;) {
		len = lgetxattr(name, attr, NULL, 0);
		if (len < 0)
			break;
		*bufp = xrealloc(*bufp, len);
		len = lgetxattr(name, attr, *bufp, len);
		if (len >= 0 || errno != ERANGE)
			break;
	}
	if (len < 0) {
		struct sb what = { 0 };

		sb_add(&what, "getxattr ", 9);
		sb_escape(&what, attr, strlen(attr));
		report(what.buf, path);
		free(what.buf);
	}
	return len;
}

static bool excluded(const char *attr)
{
	size_t i;

	for (i = 0; i < nexcludes; i++)
		if (!strncmp(attr, excludes[i], strlen(excludes[i])))
			return true;
	return false;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Split a listxattr buffer into a sorted array of names. */
static char **split_names(char *list, ssize_t len, size_t *countp)
{
	char **names = NULL;
	size_t count = 0;
	ssize_t i;

	for (i = 0; i < len; i += strlen(list + i) + 1) {
		names = xrealloc(names, (count + 1) * sizeof(*names));
		names[count++] = list + i;
	}
	if (count)
		qsort(names, count, sizeof(*names), cmp_str);
	*countp = count;
	return names;
}

/* The l*xattr calls need a path, so they run from inside the directory. */
static int add_xattrs(int dfd, const char *name, struct sb *sb,
		      const char *path)
{
	char *list = NULL, *value = NULL, **names;
	size_t i, count;
	ssize_t len;
	int ret = 0;

	if (fchdir(dfd) < 0) {
		report("fchdir", path);
		return -1;
	}
	len = list_xattrs(name, &list, path);
	if (len < 0) {
		free(list);
		return -1;
	}
	names = split_names(list, len, &count);
	for (i = 0; i < count; i++) {
		if (excluded(names[i]))
			continue;
		len = get_xattr(name, names[i], &value, path);
		if (len < 0) {
			ret = -1;
			continue;
		}
		sb_add(sb, " xattr:", 7);
		sb_escape(sb, names[i], strlen(names[i]));
		sb_add(sb, "=", 1);
		sb_hex(sb, (unsigned char *)value, len);
	}
	free(value);
	free(names);
	free(list);
	return ret;
}

static void add_time(struct sb *sb, const char *key, const struct timespec *ts)
{
	sb_addf(sb, " %s=%lld.%09ld", key, (long long)ts->tv_sec, ts->tv_nsec);
}

static void add_stat(struct sb *sb, const struct stat *st)
{
	bool dir = S_ISDIR(st->st_mode);

	sb_addf(sb, " type=%s mode=%04o uid=%u gid=%u size=%lld",
		type_name(st->st_mode), (unsigned int)(st->st_mode & 07777),
		(unsigned int)st->st_uid, (unsigned int)st->st_gid,
		dir ? 0LL : (long long)st->st_size);
	add_time(sb, "mtime", &st->st_mtim);
	if (!no_atime)
		add_time(sb, "atime", &st->st_atim);
	if (!dir)
		sb_addf(sb, " nlink=%ju", (uintmax_t)st->st_nlink);
	if (S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode))
		sb_addf(sb, " rdev=%u:%u", major(st->st_rdev),
			minor(st->st_rdev));
}

static void add_entry(char *path, struct sb *text, const struct stat *st)
{
	struct entry *e;

	if (nentries == entries_cap) {
		entries_cap = entries_cap ? entries_cap * 2 : 4096;
		entries = xrealloc(entries, entries_cap * sizeof(*entries));
	}
	e = &entries[nentries++];
	e->path = path;
	e->text = text->buf;
	e->dev = st->st_dev;
	e->ino = st->st_ino;
	e->linked = !S_ISDIR(st->st_mode) && st->st_nlink > 1;
	e->group = path;
}

/*
 * Describe one entry; takes ownership of path.  lstat comes first so the
 * atime reported predates our own readlink (which may update it).
 */
static void describe(int dfd, const char *name, char *path,
		     const struct stat *st)
{
	struct sb sb = { 0 };
	int ret = 0;

	add_stat(&sb, st);
	if (S_ISLNK(st->st_mode))
		ret |= add_target(dfd, name, st, &sb, path);
	if (S_ISREG(st->st_mode))
		ret |= add_digest(dfd, name, st, &sb, path);
	ret |= add_xattrs(dfd, name, &sb, path);
	if (ret)
		sb_add(&sb, " ERROR", 6);
	add_entry(path, &sb, st);
}

static void walk_dir(int fd, const char *path);

/* Takes ownership of path, the entry's path relative to DIR. */
static void visit(int dfd, const char *name, char *path)
{
	struct stat st;
	int fd;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		report("stat", path);
		free(path);
		return;
	}
	describe(dfd, name, path, &st);
	if (!S_ISDIR(st.st_mode))
		return;
	fd = open_noatime(dfd, name, O_RDONLY | O_DIRECTORY);
	if (fd < 0) {
		report("open", path);
		return;
	}
	walk_dir(fd, path);
}

/* Read all names first so only one fd per level stays open. */
static char **read_names(int fd, size_t *countp, const char *path)
{
	char **names = NULL;
	struct dirent *de;
	size_t count = 0;
	DIR *d;

	d = fdopendir(fd);
	if (!d) {
		report("fdopendir", path);
		close(fd);
		return NULL;
	}
	for (errno = 0; (de = readdir(d)); errno = 0) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		names = xrealloc(names, (count + 1) * sizeof(*names));
		names[count] = strdup(de->d_name);
		if (!names[count++])
			out_of_memory();
	}
	if (errno)
		report("readdir", path);
	if (closedir(d) < 0)
		report("closedir", path);
	*countp = count;
	return names;
}

/* Takes ownership of fd. */
static void walk_dir(int fd, const char *path)
{
	char **names;
	size_t i, count = 0;
	int keep;

	keep = dup(fd);
	if (keep < 0) {
		report("dup", path);
		close(fd);
		return;
	}
	names = read_names(fd, &count, path);
	for (i = 0; i < count; i++) {
		visit(keep, names[i], join(path, names[i]));
		free(names[i]);
	}
	free(names);
	if (close(keep) < 0)
		report("close", path);
}

static int cmp_inode(const void *a, const void *b)
{
	const struct entry *x = *(struct entry *const *)a;
	const struct entry *y = *(struct entry *const *)b;

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	if (x->ino != y->ino)
		return x->ino < y->ino ? -1 : 1;
	return strcmp(x->path, y->path);
}

/* Name each hardlink group by its smallest path, independent of inodes. */
static void assign_groups(void)
{
	struct entry **linked = NULL;
	size_t i, n = 0, first = 0;

	for (i = 0; i < nentries; i++) {
		if (!entries[i].linked)
			continue;
		linked = xrealloc(linked, (n + 1) * sizeof(*linked));
		linked[n++] = &entries[i];
	}
	if (n)
		qsort(linked, n, sizeof(*linked), cmp_inode);
	for (i = 0; i < n; i++) {
		if (linked[i]->dev != linked[first]->dev ||
		    linked[i]->ino != linked[first]->ino)
			first = i;
		linked[i]->group = linked[first]->path;
	}
	free(linked);
}

static int cmp_path(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->path,
		      ((const struct entry *)b)->path);
}

static void print_entry(const struct entry *e, struct sb *line)
{
	line->len = 0;
	if (*e->path)
		sb_escape(line, e->path, strlen(e->path));
	else
		sb_add(line, ".", 1);
	sb_add(line, e->text, strlen(e->text));
	if (e->linked) {
		sb_add(line, " hl=", 4);
		sb_escape(line, e->group, strlen(e->group));
	}
	sb_add(line, "\n", 1);
	fwrite(line->buf, 1, line->len, stdout);
}

static int print_manifest(void)
{
	struct sb line = { 0 };
	size_t i;

	assign_groups();
	qsort(entries, nentries, sizeof(*entries), cmp_path);
	for (i = 0; i < nentries; i++)
		print_entry(&entries[i], &line);
	free(line.buf);
	if (fflush(stdout) == EOF || ferror(stdout)) {
		fprintf(stderr, "%s: write: stdout: %s\n", PROG,
			strerror(errno));
		return -1;
	}
	return 0;
}

/* Deep trees hold one fd per level; allow as many as we may. */
static void raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == rl.rlim_max)
		return;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		fprintf(stderr, "%s: warning: setrlimit: %s\n", PROG,
			strerror(errno));
}

static void __attribute__((noreturn)) usage(void)
{
	fprintf(stderr,
		"usage: %s [--exclude-xattr-prefix P]... [--no-atime] DIR\n",
		PROG);
	exit(2);
}

static void parse_args(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "exclude-xattr-prefix", required_argument, NULL, 'x' },
		{ "no-atime", no_argument, NULL, 'A' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'x') {
			excludes = xrealloc(excludes, (nexcludes + 1) *
						      sizeof(*excludes));
			excludes[nexcludes++] = optarg;
		} else if (c == 'A') {
			no_atime = true;
		} else {
			usage();
		}
	}
	if (optind != argc - 1)
		usage();
	root = argv[optind];
}

int main(int argc, char **argv)
{
	int fd;

	parse_args(argc, argv);
	raise_fd_limit();
	fd = open_noatime(AT_FDCWD, root, O_RDONLY | O_DIRECTORY);
	if (fd < 0 && errno == ELOOP)	/* DIR itself may be a symlink */
		fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "%s: open: %s: %s\n", PROG, root,
			strerror(errno));
		return 2;
	}
	visit(fd, ".", join("", ""));
	if (close(fd) < 0)
		report("close", "");
	if (print_manifest() < 0)
		return 2;
	return failed ? 2 : 0;
}
