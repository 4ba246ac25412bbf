/* SPDX-License-Identifier: MIT */
/*
 * Which processes hold what below a directory: cwd, root, executable,
 * open files (with their access mode) and mapped files, read from /proc.
 */
#ifndef OVLMIG_HOLDERS_H
#define OVLMIG_HOLDERS_H

#include <stdbool.h>
#include <sys/types.h>

struct holder {
	pid_t pid;
	char comm[32];
	char what[32];		/* "cwd", "root", "exe", "fd 3", "mmap" */
	bool writing;		/* an fd open for writing */
	char *path;		/* relative to the directory, "" for itself */
};

/* Every holder of something below DIR; free with holders_free(). */
int holders_find(const char *dir, struct holder **out, size_t *count);
void holders_free(struct holder *h, size_t count);
/* Is REL (relative to the directory) open for writing by anyone? */
bool holders_writing(const struct holder *h, size_t count, const char *rel);

#endif
