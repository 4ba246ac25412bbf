// SPDX-License-Identifier: MIT
/*
 * opsuite: an operation suite over a tree. Reads every directory, stats
 * and reads every entry, reads xattrs, execs a binary, and in the root,
 * a pinned and a deep directory creates, writes, renames, links,
 * symlinks, sets xattrs, chmods, chowns, sets times, truncates and
 * removes. Prints "opsuite: N operations, E errors" and the first errors.
 * Exit: 0 no errors, 1 errors, 2 usage.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

static unsigned long ops, errs;

/* Count an operation; RC < 0 is a failure of OP on PATH. */
static int op(int rc, const char *what, const char *path)
{
	ops++;
	if (rc < 0) {
		errs++;
		if (errs <= 20)
			fprintf(stderr, "opsuite: error: %s %s: %s\n", what, path,
				strerror(errno));
	}
	return rc;
}

static void mismatch(const char *what, const char *path)
{
	errno = EILSEQ;
	op(-1, what, path);
}

static void xattrs(int dirfd, const char *name, const char *path)
{
	char proc[64 + 256], list[65536], val[65536];
	ssize_t n, v;
	char *p;

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d/%s", dirfd, name);
	n = llistxattr(proc, list, sizeof(list));
	if (n < 0 && (errno == ENOTSUP || errno == ENODATA))
		return;
	if (op(n < 0 ? -1 : 0, "listxattr", path) < 0)
		return;
	for (p = list; p < list + n; p += strlen(p) + 1) {
		v = lgetxattr(proc, p, val, sizeof(val));
		if (v < 0 && errno == ENODATA)
			continue;
		op(v < 0 ? -1 : 0, "getxattr", path);
	}
}

static void read_file(int dirfd, const char *name, const char *path)
{
	static char buf[1 << 16];
	int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	ssize_t n;

	if (op(fd, "open", path) < 0)
		return;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		;
	op(n < 0 ? -1 : 0, "read", path);
	close(fd);
}

static int skip(const char *name)
{
	return !strcmp(name, ".") || !strcmp(name, "..") ||
	       !strncmp(name, ".opsuite-", 9) || !strncmp(name, ".holder-", 8);
}

static void walk(int dirfd, const char *path)
{
	struct dirent *de;
	DIR *d;
	int fd = dup(dirfd);

	if (op(fd, "dup", path) < 0)
		return;
	d = fdopendir(fd);
	if (!d) {
		op(-1, "opendir", path);
		close(fd);
		return;
	}
	ops++;	/* the readdir */
	while ((errno = 0, de = readdir(d))) {
		char *child;
		struct stat st;

		if (skip(de->d_name))
			continue;
		if (asprintf(&child, "%s/%s", path, de->d_name) < 0)
			break;
		if (op(fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW), "stat", child) == 0) {
			xattrs(dirfd, de->d_name, child);
			if (S_ISREG(st.st_mode)) {
				read_file(dirfd, de->d_name, child);
			} else if (S_ISLNK(st.st_mode)) {
				char t[8192];

				op(readlinkat(dirfd, de->d_name, t, sizeof(t)) < 0 ? -1 : 0,
				   "readlink", child);
			} else if (S_ISDIR(st.st_mode)) {
				int sub = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY |
						 O_NOFOLLOW | O_CLOEXEC);

				if (op(sub, "open dir", child) >= 0) {
					walk(sub, child);
					close(sub);
				}
			}
		}
		free(child);
	}
	if (errno)
		op(-1, "readdir", path);
	closedir(d);
}

/* The mutating operations, all on names starting with .opsuite- */
static void mutate(int d, const char *path)
{
	const char data[] = "opsuite data\n";
	struct timespec ts[2] = { { 1000000000, 0 }, { 1000000000, 0 } };
	char buf[64], proc[64];
	struct stat st;
	int fd;

	fd = openat(d, ".opsuite-f", O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (op(fd, "create", path) >= 0) {
		op(write(fd, data, sizeof(data)) == sizeof(data) ? 0 : -1, "write", path);
		if (op(pread(fd, buf, sizeof(buf), 0) == sizeof(data) ? 0 : -1, "read back", path) == 0 &&
		    memcmp(buf, data, sizeof(data)))
			mismatch("read back", path);
		close(fd);
	}
	/* O_EXCL on an existing name must say EEXIST, nothing else */
	fd = openat(d, ".opsuite-f", O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	ops++;
	if (fd >= 0 || errno != EEXIST) {
		if (fd >= 0)
			close(fd);
		mismatch("O_EXCL on existing", path);
	}
	op(mkdirat(d, ".opsuite-d", 0755), "mkdir", path);
	op(renameat(d, ".opsuite-f", d, ".opsuite-d/f"), "rename into dir", path);
	op(renameat(d, ".opsuite-d/f", d, ".opsuite-f"), "rename back", path);
	op(linkat(d, ".opsuite-f", d, ".opsuite-l", 0), "link", path);
	op(symlinkat(".opsuite-f", d, ".opsuite-s"), "symlink", path);
	if (op(readlinkat(d, ".opsuite-s", buf, sizeof(buf)) == 10 ? 0 : -1, "readlink", path) == 0 &&
	    memcmp(buf, ".opsuite-f", 10))
		mismatch("readlink", path);
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d/.opsuite-f", d);
	op(setxattr(proc, "user.opsuite", "v", 1, 0), "setxattr", path);
	op(getxattr(proc, "user.opsuite", buf, sizeof(buf)) == 1 ? 0 : -1, "getxattr", path);
	op(fchmodat(d, ".opsuite-f", 0640, 0), "chmod", path);
	op(fchownat(d, ".opsuite-f", 1000, 1000, 0), "chown", path);
	op(fchownat(d, ".opsuite-f", 0, 0, 0), "chown back", path);
	op(utimensat(d, ".opsuite-f", ts, 0), "utimensat", path);
	if (op(fstatat(d, ".opsuite-f", &st, 0), "stat", path) == 0 &&
	    (st.st_mtim.tv_sec != 1000000000 || (st.st_mode & 07777) != 0640))
		mismatch("times or mode after set", path);
	fd = openat(d, ".opsuite-g", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (op(fd, "create", path) >= 0)
		close(fd);
	op(renameat(d, ".opsuite-f", d, ".opsuite-g"), "rename over", path);
	fd = openat(d, ".opsuite-g", O_WRONLY | O_CLOEXEC);
	if (op(fd, "open", path) >= 0) {
		op(ftruncate(fd, 3), "truncate", path);
		close(fd);
	}
	op(renameat(d, ".opsuite-d", d, ".opsuite-d2"), "rename dir", path);
	op(unlinkat(d, ".opsuite-l", 0), "unlink link", path);
	op(unlinkat(d, ".opsuite-s", 0), "unlink symlink", path);
	op(unlinkat(d, ".opsuite-g", 0), "unlink", path);
	op(unlinkat(d, ".opsuite-d2", AT_REMOVEDIR), "rmdir", path);
}

static void cleanup(int d)
{
	const char *names[] = { ".opsuite-f", ".opsuite-g", ".opsuite-l",
				".opsuite-s", ".opsuite-d/f", ".opsuite-d2/f" };
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		unlinkat(d, names[i], 0);
	unlinkat(d, ".opsuite-d", AT_REMOVEDIR);
	unlinkat(d, ".opsuite-d2", AT_REMOVEDIR);
}

static void in_dir(int root, const char *rel)
{
	int d = rel ? openat(root, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : dup(root);

	if (op(d, "open", rel ? rel : ".") < 0)
		return;
	mutate(d, rel ? rel : ".");
	cleanup(d);
	close(d);
}

/* The exec itself must succeed: the child reports a failed exec. */
static void run(const char *dir, const char *rel)
{
	int p[2], status, err = 0, i;
	char *path;
	pid_t pid;

	if (asprintf(&path, "%s/%s", dir, rel) < 0 || pipe2(p, O_CLOEXEC) < 0)
		return;
	pid = fork();
	if (pid == 0) {
		char *args[] = { path, (char *)"--help", NULL };
		int e;

		int null = open("/dev/null", O_WRONLY);

		/* only the exec is checked: keep the program's output out */
		if (null >= 0) {
			dup2(null, STDOUT_FILENO);
			dup2(null, STDERR_FILENO);
		}
		execv(path, args);
		e = errno;
		if (write(p[1], &e, sizeof(e)) < 0)
			_exit(127);
		_exit(127);
	}
	close(p[1]);
	if (pid > 0 && read(p[0], &err, sizeof(err)) == sizeof(err)) {
		errno = err;
		op(-1, "exec", path);
	} else {
		op(pid < 0 ? -1 : 0, "exec", path);
	}
	close(p[0]);
	for (i = 0; pid > 0 && i < 200; i++) {
		struct timespec ts = { 0, 10000000 };

		if (waitpid(pid, &status, WNOHANG) == pid)
			break;
		nanosleep(&ts, NULL);
	}
	if (pid > 0 && i == 200) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	free(path);
}

int main(int argc, char **argv)
{
	const char *pinned = NULL, *deep = NULL, *exe = NULL, *dir = NULL;
	int i, root;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--pinned") && i + 1 < argc)
			pinned = argv[++i];
		else if (!strcmp(argv[i], "--deep") && i + 1 < argc)
			deep = argv[++i];
		else if (!strcmp(argv[i], "--exec") && i + 1 < argc)
			exe = argv[++i];
		else if (argv[i][0] != '-' && !dir)
			dir = argv[i];
		else
			goto usage;
	}
	if (!dir)
		goto usage;
	root = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (root < 0) {
		fprintf(stderr, "opsuite: %s: %s\n", dir, strerror(errno));
		return 2;
	}
	walk(root, ".");
	if (exe)
		run(dir, exe);
	in_dir(root, NULL);
	if (pinned)
		in_dir(root, pinned);
	if (deep)
		in_dir(root, deep);
	close(root);
	printf("opsuite: %lu operations, %lu errors\n", ops, errs);
	return errs || !ops ? 1 : 0;
usage:
	fprintf(stderr, "usage: opsuite [--pinned REL] [--deep REL] [--exec REL] DIR\n");
	return 2;
}
