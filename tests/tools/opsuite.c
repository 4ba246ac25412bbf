// SPDX-License-Identifier: MIT
/*
 * opsuite - run a suite of file system operations over a tree and count
 * every failure.
 *
 * Usage: opsuite [--pinned REL] [--deep REL] [--exec REL] DIR
 *
 * - walk DIR (not following symlinks): readdir every directory, fstatat,
 *   llistxattr and lgetxattr every entry, read every regular file whole
 *   and every symlink, and check the lengths against stat;
 * - --exec REL: fork and exec DIR/REL --help; the exec must succeed and
 *   the program must not die of a signal (it is killed after 2 s);
 * - in DIR, DIR/--pinned and DIR/--deep: create, write, read back, an
 *   O_EXCL create that must fail with EEXIST, mkdir, rename into the
 *   directory and back, link, symlink, readlink, user xattr, chmod,
 *   chown, utimensat, truncate, rename over an existing file, unlink,
 *   rmdir; in DIR also rename a directory.  Scratch names start with
 *   .opsuite- and are removed again, also after errors.
 *
 * Names starting with .opsuite- or .holder- (holder's scratch files, made
 * while we run) are skipped by the walk.
 *
 * Prints "opsuite: N operations, E errors" and up to 20 error lines.
 * Exit: 0 no errors, 1 errors found, 2 usage or setup error.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#define PROG "opsuite"
#define MAX_SHOWN 20
#define CHUNK (64 * 1024)
#define DATA_LEN 12345		/* not a multiple of any block size */
#define TRUNC_LEN 100
#define EXEC_TIMEOUT_MS 2000
#define XATTR_RETRIES 5

/* scratch names, relative to the directory the steps run in */
#define F ".opsuite-f"
#define G ".opsuite-g"
#define D ".opsuite-d"
#define D2 ".opsuite-d2"
#define L ".opsuite-l"
#define S ".opsuite-s"
#define DF D "/" F
#define XATTR "user.opsuite"
#define XATTR_VALUE "opsuite value"

/* whole seconds: an upper layer with 1 s timestamps must pass too */
#define ATIME 1000000000
#define MTIME 1234567890

static unsigned long n_ops, n_errs;
static char *shown[MAX_SHOWN];
static unsigned char data[DATA_LEN];

static void usage(FILE *out)
{
	fprintf(out, "usage: " PROG " [--pinned REL] [--deep REL] [--exec REL] DIR\n");
}

/* out of memory is no finding about the file system: give up */
static char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0) {
		fprintf(stderr, PROG ": vasprintf: %s\n", strerror(errno));
		exit(2);
	}
	return s;
}

/* counts one error; DIR/NAME is its path (NAME may be NULL) */
static void fail(const char *op, const char *dir, const char *name,
		 const char *why)
{
	if (n_errs < MAX_SHOWN)
		shown[n_errs] = xasprintf(PROG ": error: %s %s%s%s: %s", op, dir,
					  name ? "/" : "", name ? name : "", why);
	n_errs++;
}

/* counts one operation; RC < 0 is a failure described by errno */
static int check(const char *op, const char *dir, const char *name, long rc)
{
	n_ops++;
	if (rc < 0)
		fail(op, dir, name, strerror(errno));
	return rc < 0 ? -1 : 0;
}

/* counts one operation that must fail with errno WANT */
static int check_fails(const char *op, const char *dir, const char *name,
		       long rc, int want)
{
	char *why;

	n_ops++;
	if (rc < 0 && errno == want)
		return 0;
	if (rc >= 0) {
		why = xasprintf("succeeded, expected %s", strerror(want));
	} else {
		why = xasprintf("%s, expected %s", strerror(errno),
				strerror(want));
	}
	fail(op, dir, name, why);
	free(why);
	return -1;
}

/* counts one comparison */
static int expect(int ok, const char *op, const char *dir, const char *name,
		  const char *why)
{
	n_ops++;
	if (!ok)
		fail(op, dir, name, why);
	return ok ? 0 : -1;
}

static int skipped(const char *name)
{
	return !strcmp(name, ".") || !strcmp(name, "..") ||
	       !strncmp(name, ".opsuite-", 9) || !strncmp(name, ".holder-", 8);
}

static ssize_t read_full(int fd, void *buf, size_t len)
{
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		n = read(fd, (char *)buf + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		done += (size_t)n;
	}
	return (ssize_t)done;
}

static int write_full(int fd, const void *buf, size_t len)
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

/* ---- the walk ---- */

static void walk_dir(int fd, const char *path);

static void *xmalloc(size_t size)
{
	void *p = malloc(size);

	if (!p) {
		fprintf(stderr, PROG ": malloc: %s\n", strerror(errno));
		exit(2);
	}
	return p;
}

/* Reads one xattr value; ENODATA means it went away meanwhile. */
static void get_xattr(const char *path, const char *name)
{
	ssize_t len = -1;
	char *buf, *op;
	int i, err;

	n_ops++;
	for (i = 0; i < XATTR_RETRIES; i++) {
		len = lgetxattr(path, name, NULL, 0);
		if (len < 0)
			break;
		buf = xmalloc((size_t)len + 1);
		len = lgetxattr(path, name, buf, (size_t)len);
		err = errno;
		free(buf);
		errno = err;
		/* ERANGE: the value grew between the two calls, ask again */
		if (len >= 0 || errno != ERANGE)
			break;
	}
	err = errno;
	if (len >= 0 || err == ENODATA || err == ENOTSUP)
		return;
	op = xasprintf("lgetxattr %s", name);
	fail(op, path, NULL, strerror(err));
	free(op);
}

/* Returns PATH's malloc'd xattr name list and its length; NULL if none. */
static char *list_xattrs(const char *path, ssize_t *lenp)
{
	ssize_t len = -1;
	char *buf = NULL;
	int i, err;

	n_ops++;
	for (i = 0; i < XATTR_RETRIES; i++) {
		len = llistxattr(path, NULL, 0);
		if (len <= 0)
			break;
		buf = xmalloc((size_t)len);
		len = llistxattr(path, buf, (size_t)len);
		/* ERANGE: a name was added between the two calls */
		if (len >= 0 || errno != ERANGE)
			break;
		err = errno;
		free(buf);
		errno = err;
		buf = NULL;
	}
	if (len < 0 && errno != ENOTSUP)
		fail("llistxattr", path, NULL, strerror(errno));
	if (len <= 0) {
		free(buf);
		return NULL;
	}
	*lenp = len;
	return buf;
}

static void walk_xattrs(const char *path)
{
	ssize_t len, off;
	char *names = list_xattrs(path, &len);

	if (!names)
		return;
	for (off = 0; off < len; off += (ssize_t)strlen(names + off) + 1)
		get_xattr(path, names + off);
	free(names);
}

static void walk_file(int dfd, const char *name, const char *path,
		      const struct stat *st)
{
	static char buf[CHUNK];
	long long total = 0;
	ssize_t n;
	char *why;
	int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);

	if (check("open", path, NULL, fd))
		return;
	while ((n = read_full(fd, buf, sizeof(buf))) > 0)
		total += n;
	if (!check("read", path, NULL, n)) {
		why = xasprintf("read %lld bytes, stat says %lld", total,
				(long long)st->st_size);
		expect(total == st->st_size, "read", path, NULL, why);
		free(why);
	}
	check("close", path, NULL, close(fd));
}

static void walk_symlink(int dfd, const char *name, const char *path,
			 const struct stat *st)
{
	size_t size = (size_t)st->st_size + 1;
	char *buf = xmalloc(size);
	ssize_t n;
	char *why;

	n = readlinkat(dfd, name, buf, size);
	if (!check("readlink", path, NULL, n)) {
		why = xasprintf("target has %zd bytes, stat says %lld", n,
				(long long)st->st_size);
		expect(n == st->st_size, "readlink", path, NULL, why);
		free(why);
	}
	free(buf);
}

static void walk_entry(int dfd, const char *name, const char *path)
{
	struct stat st;
	int fd;

	if (check("fstatat", path, NULL,
		  fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW)))
		return;
	walk_xattrs(path);
	if (S_ISREG(st.st_mode)) {
		walk_file(dfd, name, path, &st);
	} else if (S_ISLNK(st.st_mode)) {
		walk_symlink(dfd, name, path, &st);
	} else if (S_ISDIR(st.st_mode)) {
		fd = openat(dfd, name,
			    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (!check("open", path, NULL, fd))
			walk_dir(fd, path);
	}
}

/* Lists and walks the directory open at FD; closes FD. */
static void walk_dir(int fd, const char *path)
{
	struct dirent *de;
	char *child;
	DIR *d = fdopendir(fd);

	if (check("fdopendir", path, NULL, d ? 0 : -1)) {
		close(fd);
		return;
	}
	for (;;) {
		errno = 0;
		de = readdir(d);
		if (!de)
			break;
		if (skipped(de->d_name))
			continue;
		child = xasprintf("%s/%s", path, de->d_name);
		walk_entry(dirfd(d), de->d_name, child);
		free(child);
		/* the walk may have clobbered errno; readdir sets it anew */
	}
	check("readdir", path, NULL, errno ? -1 : 0);
	check("closedir", path, NULL, closedir(d));
}

static void walk_root(const char *root)
{
	struct stat st;
	int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (check("open", root, NULL, fd))
		return;
	if (check("fstat", root, NULL, fstat(fd, &st))) {
		close(fd);
		return;
	}
	walk_xattrs(root);
	walk_dir(fd, root);
}

/* ---- --exec ---- */

static void exec_child(const char *path, int err_fd)
{
	char *argv[] = { (char *)path, "--help", NULL };
	int err, null = open("/dev/null", O_RDWR);

	/*
	 * --help text would mix into our summary: throw it away.  Its own
	 * process group lets a timeout kill what it started, too.
	 */
	if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 ||
	    dup2(null, 2) < 0 || setpgid(0, 0)) {
		err = errno;
	} else {
		execv(path, argv);
		err = errno;
	}
	/* the pipe is O_CLOEXEC: a successful exec leaves it empty */
	if (write(err_fd, &err, sizeof(err)) != sizeof(err))
		_exit(126);
	_exit(127);
}

/* the child may not have made its process group yet: then kill just it */
static void kill_child(pid_t pid)
{
	if (kill(-pid, SIGKILL))
		kill(pid, SIGKILL);
}

/* Waits up to TIMEOUT_MS for PID; returns 1 if it had to be killed. */
static int reap(pid_t pid, int *status, int timeout_ms)
{
	struct timespec tick = { 0, 10 * 1000000L };
	pid_t r;
	int waited;

	for (waited = 0; waited < timeout_ms; waited += 10) {
		r = waitpid(pid, status, WNOHANG);
		if (r == pid || (r < 0 && errno != EINTR))
			return 0;
		nanosleep(&tick, NULL);
	}
	kill_child(pid);
	while (waitpid(pid, status, 0) < 0 && errno == EINTR)
		;
	return 1;
}

/* Returns 0 once PATH was exec'd, -1 with a counted error if not. */
static int await_exec(pid_t pid, int err_fd, const char *path)
{
	struct pollfd pfd = { .fd = err_fd, .events = POLLIN };
	int err, rc;
	ssize_t n;

	do {
		rc = poll(&pfd, 1, EXEC_TIMEOUT_MS);
	} while (rc < 0 && errno == EINTR);
	if (rc <= 0) {
		fail("exec", path, NULL, rc ? strerror(errno) : "no exec within 2 s");
		kill_child(pid);
		return -1;
	}
	n = read(err_fd, &err, sizeof(err));
	if (n == 0)
		return 0;
	fail("exec", path, NULL, n == sizeof(err) ? strerror(err) :
	     "bad report from child");
	return -1;
}

static void run_exec(const char *root, const char *rel)
{
	char *path = xasprintf("%s/%s", root, rel), *why;
	int pipefd[2], status, killed, exec_ok;
	pid_t pid;

	n_ops++;
	if (pipe2(pipefd, O_CLOEXEC)) {
		fail("pipe2", path, NULL, strerror(errno));
		goto out;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		fail("fork", path, NULL, strerror(errno));
		close(pipefd[0]);
		close(pipefd[1]);
		goto out;
	}
	if (pid == 0)
		exec_child(path, pipefd[1]);
	close(pipefd[1]);
	exec_ok = !await_exec(pid, pipefd[0], path);
	close(pipefd[0]);
	killed = reap(pid, &status, EXEC_TIMEOUT_MS);
	/* a binary whose pages cannot be read dies of SIGBUS or SIGSEGV */
	if (exec_ok && !killed && WIFSIGNALED(status)) {
		why = xasprintf("killed by signal %d (%s)", WTERMSIG(status),
				strsignal(WTERMSIG(status)));
		fail("run", path, NULL, why);
		free(why);
	}
out:
	free(path);
}

/* ---- scratch operations in one directory ---- */

struct place {
	int fd;			/* the directory */
	const char *path;	/* for messages */
	int is_root;
};

static int read_back(const struct place *p, const char *name, size_t len)
{
	static unsigned char buf[DATA_LEN + 1];
	int fd = openat(p->fd, name, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (check("open", p->path, name, fd))
		return -1;
	n = read_full(fd, buf, sizeof(buf));
	if (check("read", p->path, name, n)) {
		close(fd);
		return -1;
	}
	if (check("close", p->path, name, close(fd)))
		return -1;
	return expect((size_t)n == len && !memcmp(buf, data, len), "compare",
		      p->path, name, "content differs from what was written");
}

static int create_file(const struct place *p, const char *name, size_t len)
{
	int fd = openat(p->fd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
			0644);

	if (check("create", p->path, name, fd))
		return -1;
	if (check("write", p->path, name, write_full(fd, data, len)) ||
	    check("fsync", p->path, name, fsync(fd))) {
		close(fd);
		return -1;
	}
	return check("close", p->path, name, close(fd));
}

static int stat_at(const struct place *p, const char *name, struct stat *st)
{
	return check("fstatat", p->path, name,
		     fstatat(p->fd, name, st, AT_SYMLINK_NOFOLLOW));
}

static int step_create(const struct place *p)
{
	int fd;

	if (create_file(p, F, DATA_LEN) || read_back(p, F, DATA_LEN))
		return -1;
	fd = openat(p->fd, F, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd >= 0)
		close(fd);
	return check_fails("create O_EXCL of existing", p->path, F, fd, EEXIST);
}

/* F into D and back: it must stay the same inode */
static int step_rename_round_trip(const struct place *p)
{
	struct stat before, after;

	if (check("mkdir", p->path, D, mkdirat(p->fd, D, 0755)) ||
	    stat_at(p, F, &before) ||
	    check("rename", p->path, F, renameat(p->fd, F, p->fd, DF)) ||
	    check("rename", p->path, DF, renameat(p->fd, DF, p->fd, F)) ||
	    stat_at(p, F, &after))
		return -1;
	return expect(before.st_ino == after.st_ino, "rename", p->path, F,
		      "inode changed after renaming into a directory and back");
}

static int step_links(const struct place *p)
{
	struct stat f, l;
	char target[sizeof(F) + 1];
	ssize_t n;

	if (check("link", p->path, L, linkat(p->fd, F, p->fd, L, 0)) ||
	    stat_at(p, F, &f) || stat_at(p, L, &l) ||
	    expect(f.st_ino == l.st_ino && f.st_nlink == 2, "link", p->path, L,
		   "not the same inode with 2 links") ||
	    check("symlink", p->path, S, symlinkat(F, p->fd, S)))
		return -1;
	n = readlinkat(p->fd, S, target, sizeof(target));
	if (check("readlink", p->path, S, n))
		return -1;
	return expect((size_t)n == strlen(F) && !memcmp(target, F, (size_t)n),
		      "readlink", p->path, S, "wrong target");
}

static int step_xattr(const struct place *p)
{
	char buf[sizeof(XATTR_VALUE)];
	int fd = openat(p->fd, F, O_RDONLY | O_CLOEXEC);
	ssize_t n;
	int rc;

	if (check("open", p->path, F, fd))
		return -1;
	rc = check("setxattr " XATTR, p->path, F,
		   fsetxattr(fd, XATTR, XATTR_VALUE, strlen(XATTR_VALUE), 0));
	if (!rc) {
		n = fgetxattr(fd, XATTR, buf, sizeof(buf));
		rc = check("getxattr " XATTR, p->path, F, n);
		if (!rc)
			rc = expect((size_t)n == strlen(XATTR_VALUE) &&
				    !memcmp(buf, XATTR_VALUE, (size_t)n),
				    "getxattr " XATTR, p->path, F,
				    "value differs from what was set");
	}
	if (check("close", p->path, F, close(fd)))
		return -1;
	return rc;
}

static int chown_to(const struct place *p, uid_t uid, gid_t gid)
{
	struct stat st;

	if (check("chown", p->path, F,
		  fchownat(p->fd, F, uid, gid, AT_SYMLINK_NOFOLLOW)) ||
	    stat_at(p, F, &st))
		return -1;
	return expect(st.st_uid == uid && st.st_gid == gid, "chown", p->path,
		      F, "stat shows another owner");
}

static int step_attrs(const struct place *p)
{
	const struct timespec times[2] = { { ATIME, 0 }, { MTIME, 0 } };
	struct stat st;

	if (check("chmod", p->path, F, fchmodat(p->fd, F, 0640, 0)) ||
	    stat_at(p, F, &st) ||
	    expect((st.st_mode & 07777) == 0640, "chmod", p->path, F,
		   "stat shows another mode") ||
	    chown_to(p, 1000, 1000) || chown_to(p, 0, 0) ||
	    check("utimensat", p->path, F,
		  utimensat(p->fd, F, times, AT_SYMLINK_NOFOLLOW)) ||
	    stat_at(p, F, &st))
		return -1;
	return expect(st.st_atim.tv_sec == ATIME && st.st_atim.tv_nsec == 0 &&
		      st.st_mtim.tv_sec == MTIME && st.st_mtim.tv_nsec == 0,
		      "utimensat", p->path, F, "stat shows other times");
}

static int step_truncate(const struct place *p)
{
	struct stat st;
	int fd = openat(p->fd, F, O_WRONLY | O_CLOEXEC);

	if (check("open", p->path, F, fd))
		return -1;
	if (check("truncate", p->path, F, ftruncate(fd, TRUNC_LEN))) {
		close(fd);
		return -1;
	}
	if (check("close", p->path, F, close(fd)) || stat_at(p, F, &st) ||
	    expect(st.st_size == TRUNC_LEN, "truncate", p->path, F,
		   "stat shows another size"))
		return -1;
	return read_back(p, F, TRUNC_LEN);
}

/* F over an existing G: G must then be F's inode and F gone */
static int step_rename_over(const struct place *p)
{
	struct stat f, g;

	if (create_file(p, G, 1) || stat_at(p, F, &f) ||
	    check("rename over existing", p->path, F,
		  renameat(p->fd, F, p->fd, G)) ||
	    stat_at(p, G, &g) ||
	    expect(f.st_ino == g.st_ino, "rename over existing", p->path, G,
		   "not the renamed inode"))
		return -1;
	return check_fails("fstatat after rename", p->path, F,
			   fstatat(p->fd, F, &f, AT_SYMLINK_NOFOLLOW), ENOENT);
}

static int step_remove(const struct place *p)
{
	if (check("unlink", p->path, L, unlinkat(p->fd, L, 0)) ||
	    check("unlink", p->path, S, unlinkat(p->fd, S, 0)) ||
	    check("unlink", p->path, G, unlinkat(p->fd, G, 0)))
		return -1;
	if (!p->is_root)
		return check("rmdir", p->path, D, unlinkat(p->fd, D, AT_REMOVEDIR));
	if (check("rename directory", p->path, D, renameat(p->fd, D, p->fd, D2)))
		return -1;
	return check("rmdir", p->path, D2, unlinkat(p->fd, D2, AT_REMOVEDIR));
}

/*
 * Removes whatever a failed step left, best effort: the unlinks are not
 * checked one by one, the fstatat after them tells if anything is left.
 */
static void clean_up(const struct place *p)
{
	static const char *const files[] = { DF, F, G, L, S };
	static const char *const dirs[] = { D, D2 };
	static const char *const all[] = { DF, F, G, L, S, D, D2 };
	struct stat st;
	size_t i;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		unlinkat(p->fd, files[i], 0);
	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		unlinkat(p->fd, dirs[i], AT_REMOVEDIR);
	n_ops++;
	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (!fstatat(p->fd, all[i], &st, AT_SYMLINK_NOFOLLOW))
			fail("clean up", p->path, all[i], "left behind");
}

static void run_steps(const struct place *p)
{
	/* each step needs what the ones before made: stop at the first error */
	if (!step_create(p) && !step_rename_round_trip(p) && !step_links(p) &&
	    !step_xattr(p) && !step_attrs(p) && !step_truncate(p) &&
	    !step_rename_over(p))
		step_remove(p);
	clean_up(p);
}

static void scratch_ops(const char *root, const char *rel)
{
	struct place p = { .is_root = !rel };

	p.path = rel ? xasprintf("%s/%s", root, rel) : xasprintf("%s", root);
	p.fd = open(p.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (!check("open", p.path, NULL, p.fd)) {
		run_steps(&p);
		check("close", p.path, NULL, close(p.fd));
	}
	free((char *)p.path);
}

/* ---- main ---- */

struct opts {
	const char *pinned;
	const char *deep;
	const char *exec;
	char *root;
};

static int relative(const char *opt, const char *rel)
{
	if (rel[0] && rel[0] != '/')
		return 0;
	fprintf(stderr, PROG ": %s: %s: must be a path relative to DIR\n", opt,
		rel);
	return -1;
}

/* Returns 0, 1 for --help, 2 for a usage error. */
static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "pinned", required_argument, NULL, 'p' },
		{ "deep", required_argument, NULL, 'd' },
		{ "exec", required_argument, NULL, 'e' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	size_t len;
	int c;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'p': o->pinned = optarg; break;
		case 'd': o->deep = optarg; break;
		case 'e': o->exec = optarg; break;
		case 'h': return 1;
		default: return 2;
		}
	}
	if (argc - optind != 1 || !argv[optind][0])
		return 2;
	if ((o->pinned && relative("--pinned", o->pinned)) ||
	    (o->deep && relative("--deep", o->deep)) ||
	    (o->exec && relative("--exec", o->exec)))
		return 2;
	/* "dir/" would make messages say "dir//name" */
	o->root = xasprintf("%s", argv[optind]);
	len = strlen(o->root);
	while (len > 1 && o->root[len - 1] == '/')
		o->root[--len] = '\0';
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o = { 0 };
	unsigned long i;
	int rc;

	rc = parse_args(argc, argv, &o);
	if (rc) {
		usage(rc == 1 ? stdout : stderr);
		return rc == 1 ? 0 : 2;
	}
	for (i = 0; i < DATA_LEN; i++)
		data[i] = (unsigned char)(i * 31 + 7);

	walk_root(o.root);
	if (o.exec)
		run_exec(o.root, o.exec);
	scratch_ops(o.root, NULL);
	if (o.pinned)
		scratch_ops(o.root, o.pinned);
	if (o.deep)
		scratch_ops(o.root, o.deep);

	printf(PROG ": %lu operations, %lu errors\n", n_ops, n_errs);
	for (i = 0; i < n_errs && i < MAX_SHOWN; i++) {
		printf("%s\n", shown[i]);
		free(shown[i]);
	}
	free(o.root);
	if (fflush(stdout)) {
		fprintf(stderr, PROG ": stdout: %s\n", strerror(errno));
		return 2;
	}
	return n_errs || !n_ops ? 1 : 0;
}
