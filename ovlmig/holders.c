// SPDX-License-Identifier: MIT
#include "holders.h"

#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct list {
	struct holder *h;
	size_t n, cap;
	const char *dir;
	size_t dirlen;
};

/* REL of PATH below the directory, or NULL if elsewhere. */
static const char *below(const struct list *l, const char *path)
{
	if (strncmp(path, l->dir, l->dirlen))
		return NULL;
	if (path[l->dirlen] == '\0')
		return "";
	if (path[l->dirlen] != '/')
		return NULL;
	return path + l->dirlen + 1;
}

static int add(struct list *l, pid_t pid, const char *comm, const char *what,
	       bool writing, const char *rel)
{
	struct holder *h;
	size_t len = strlen(rel);

	/* a deleted file reads "path (deleted)": keep the path */
	if (len > 10 && !strcmp(rel + len - 10, " (deleted)"))
		len -= 10;
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;

		h = reallocarray(l->h, cap, sizeof(*h));
		if (!h)
			return -1;
		l->h = h;
		l->cap = cap;
	}
	h = &l->h[l->n];
	memset(h, 0, sizeof(*h));
	h->pid = pid;
	snprintf(h->comm, sizeof(h->comm), "%s", comm);
	snprintf(h->what, sizeof(h->what), "%s", what);
	h->writing = writing;
	h->path = strndup(rel, len);
	if (!h->path)
		return -1;
	l->n++;
	return 0;
}

static void link_holder(struct list *l, pid_t pid, const char *comm,
			const char *proc, const char *what)
{
	char target[PATH_MAX];
	ssize_t n = readlink(proc, target, sizeof(target) - 1);
	const char *rel;

	if (n <= 0)
		return;
	target[n] = '\0';
	rel = below(l, target);
	if (rel)
		add(l, pid, comm, what, false, rel);
}

static bool fd_writing(pid_t pid, const char *fd)
{
	char path[320], line[128];
	bool w = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%.16s", (int)pid, fd);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		unsigned long flags;

		if (sscanf(line, "flags: %lo", &flags) == 1)
			w = (flags & O_ACCMODE) != O_RDONLY;
	}
	fclose(f);
	return w;
}

static void scan_fds(struct list *l, pid_t pid, const char *comm)
{
	char path[64], proc[352], what[32];
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	d = opendir(path);
	if (!d)
		return;
	while ((de = readdir(d))) {
		char target[PATH_MAX];
		const char *rel;
		ssize_t n;

		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		snprintf(proc, sizeof(proc), "%s/%s", path, de->d_name);
		n = readlink(proc, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = '\0';
		rel = below(l, target);
		if (!rel)
			continue;
		snprintf(what, sizeof(what), "fd %.16s", de->d_name);
		add(l, pid, comm, what, fd_writing(pid, de->d_name), rel);
	}
	closedir(d);
}

static void scan_maps(struct list *l, pid_t pid, const char *comm)
{
	char path[64], *line = NULL, *prev = NULL;
	size_t cap = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return;
	while (getline(&line, &cap, f) > 0) {
		char *p = strchr(line, '/');
		const char *rel;

		if (!p)
			continue;
		p[strcspn(p, "\n")] = '\0';
		if (prev && !strcmp(prev, p))
			continue;	/* one entry per mapped file */
		rel = below(l, p);
		if (rel)
			add(l, pid, comm, "mmap", false, rel);
		free(prev);
		prev = strdup(p);
	}
	free(prev);
	free(line);
	fclose(f);
}

int holders_find(const char *dir, struct holder **out, size_t *count)
{
	struct list l = { .dir = dir, .dirlen = strlen(dir) };
	struct dirent *de;
	DIR *d = opendir("/proc");

	if (!d)
		return -1;
	while ((de = readdir(d))) {
		char path[64], comm[32] = "?";
		pid_t pid;
		FILE *f;

		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		pid = (pid_t)atoi(de->d_name);
		snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
		f = fopen(path, "re");
		if (f) {
			if (fgets(comm, sizeof(comm), f))
				comm[strcspn(comm, "\n")] = '\0';
			fclose(f);
		}
		snprintf(path, sizeof(path), "/proc/%d/cwd", (int)pid);
		link_holder(&l, pid, comm, path, "cwd");
		snprintf(path, sizeof(path), "/proc/%d/root", (int)pid);
		link_holder(&l, pid, comm, path, "root");
		snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
		link_holder(&l, pid, comm, path, "exe");
		scan_fds(&l, pid, comm);
		scan_maps(&l, pid, comm);
	}
	closedir(d);
	*out = l.h;
	*count = l.n;
	return 0;
}

void holders_free(struct holder *h, size_t count)
{
	size_t i;

	for (i = 0; i < count; i++)
		free(h[i].path);
	free(h);
}

bool holders_writing(const struct holder *h, size_t count, const char *rel)
{
	size_t i;

	for (i = 0; i < count; i++)
		if (h[i].writing && !strcmp(h[i].path, rel))
			return true;
	return false;
}
