// SPDX-License-Identifier: MIT
#include "cache_trash.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../common/fsutil.h"
#include "../common/util.h"
#include "cache_dir.h"

/* PATH split into its parent directory and ".NAME.ovlmig-trash-" (malloc'd). */
static int trash_names(const char *path, char **parent, char **prefix)
{
	char *dcopy = strdup(path), *bcopy = strdup(path);

	*parent = *prefix = NULL;
	if (dcopy && bcopy) {
		*parent = strdup(dirname(dcopy));
		if (asprintf(prefix, ".%s.ovlmig-trash-", basename(bcopy)) < 0)
			*prefix = NULL;
	}
	free(dcopy);
	free(bcopy);
	if (*parent && *prefix)
		return 0;
	free(*parent);
	free(*prefix);
	return -1;
}

static int open_dir(const char *path)
{
	return open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

/* PREFIX then "PID-N", nothing else: never a name ovlmig did not make */
static bool is_trash_name(const char *name, const char *prefix)
{
	size_t n = strlen(prefix);
	const char *p = name + n;
	int pid_digits, n_digits;

	if (strncmp(name, prefix, n))
		return false;
	pid_digits = (int)strspn(p, "0123456789");
	if (!pid_digits || p[pid_digits] != '-')
		return false;
	p += pid_digits + 1;
	n_digits = (int)strspn(p, "0123456789");
	return n_digits && !p[n_digits];
}

void cache_trash_sweep(const char *path)
{
	char *parent, *prefix, **names = NULL;
	struct error *err = NULL;
	size_t n = 0, i;
	int pfd;

	if (path[0] != '/' || trash_names(path, &parent, &prefix) < 0)
		return;
	pfd = open_dir(parent);
	if (pfd >= 0 && dir_names(pfd, parent, &names, &n, &err) < 0)
		error_free(&err);
	for (i = 0; i < n; i++) {
		char *trash;
		int fd;

		if (!is_trash_name(names[i], prefix))
			continue;
		fd = openat(pfd, names[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		/* held: its deleter is still at work */
		if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0) {
			if (fd >= 0)
				close(fd);
			continue;
		}
		trash = path_join(parent, names[i]);
		if (trash && remove_tree(trash, &err) < 0)
			error_report(&err, "ovlmig: delete an abandoned cache", stderr);
		free(trash);
		close(fd);
	}
	dir_names_free(names, n);
	if (pfd >= 0)
		close(pfd);
	free(parent);
	free(prefix);
}

/* In the child: nothing of the parent's kept open (its pipes, its locks). */
static _Noreturn void delete_and_exit(int lockfd, const char *trash)
{
	struct error *err = NULL;
	int keep = 3;

	/* its own session, out of any mount a caller may unmount next */
	if (setsid() < 0 || chdir("/") < 0)
		_exit(1);
	if (lockfd != keep && (dup2(lockfd, keep) < 0 || close(lockfd) < 0))
		_exit(1);
	if (close_range(0, keep - 1, 0) < 0 || close_range(keep + 1, ~0U, 0) < 0)
		_exit(1);
	if (remove_tree(trash, &err) < 0)
		_exit(1);
	_exit(0);
}

/* Rename PATH to a free trash name beside it; the name in *TRASH. */
static int move_to_trash(const char *path, char **trash, struct error **err)
{
	char *parent, *prefix;
	unsigned i;

	if (trash_names(path, &parent, &prefix) < 0)
		return error_set(err, ENOMEM, "cache %s", path);
	for (i = 0; i < 100; i++) {
		if (asprintf(trash, "%s/%s%d-%u", parent, prefix, (int)getpid(), i) < 0) {
			*trash = NULL;
			break;
		}
		if (renameat2(AT_FDCWD, path, AT_FDCWD, *trash, RENAME_NOREPLACE) == 0)
			break;
		free(*trash);
		*trash = NULL;
		if (errno != EEXIST)
			break;
	}
	free(parent);
	free(prefix);
	if (!*trash)
		return error_set(err, errno ? errno : ENOMEM, "cache %s: move aside", path);
	return 0;
}

int cache_dir_release_later(const char *path, struct error **err)
{
	struct error *why = NULL;
	char *trash = NULL;
	bool made = false;
	int dfd;
	pid_t pid;

	if (path[0] != '/')
		return cache_dir_release(path, err);
	cache_trash_sweep(path);
	dfd = open_dir(path);
	if (dfd < 0)
		return errno == ENOENT ? 0 : error_set(err, errno, "cache %s", path);
	/* only a directory ovlmig made goes whole; the rest as before */
	if (cache_dir_marker(dfd, path, &made, &why) != 1 || !made ||
	    flock(dfd, LOCK_EX | LOCK_NB) < 0) {
		error_free(&why);
		close(dfd);
		return cache_dir_release(path, err);
	}
	/* no trash name possible (too long for the parent, say): at once */
	if (move_to_trash(path, &trash, &why) < 0) {
		error_free(&why);
		close(dfd);
		return cache_dir_release(path, err);
	}
	/*
	 * Twice forked, so that no caller (a long-lived serve, a hook) gets
	 * a child it does not know of: the grandchild deletes, init reaps
	 * it. It shares the lock (one open file description).
	 */
	pid = fork();
	if (pid == 0) {
		if (fork() == 0)
			delete_and_exit(dfd, trash);
		_exit(0);
	}
	if (pid > 0)
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
	if (pid < 0) {
		struct error *e2 = NULL;

		if (remove_tree(trash, &e2) < 0)
			error_report(&e2, "ovlmig: delete cache", stderr);
	}
	close(dfd);
	free(trash);
	return 0;
}
