// SPDX-License-Identifier: MIT
/*
 * The repin journal: temporary names are written to STATE/repin.journal
 * before they are created, and directories' times before our names touch
 * them, so the next migrate or detach removes what a killed one left in
 * the tree and puts the times back. The names are replayed beneath the
 * overlay root like every other path into the container's tree.
 */
#include "repin_journal.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "beneath.h"

static char *journal_path;
static pthread_mutex_t journal_lock = PTHREAD_MUTEX_INITIALIZER;

/* "T NAME": a temporary name; "D SEC NSEC SEC NSEC DIR": a directory's
 * times before our temporary names touched it. */
static void journal_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void journal_line(const char *fmt, ...)
{
	va_list ap;
	FILE *f;

	if (!journal_path)
		return;
	pthread_mutex_lock(&journal_lock);
	f = fopen(journal_path, "ae");
	if (f) {
		va_start(ap, fmt);
		vfprintf(f, fmt, ap);
		va_end(ap);
		fclose(f);
	}
	pthread_mutex_unlock(&journal_lock);
}

void journal_temp(const char *rel)
{
	journal_line("T %s\n", rel);
}

void journal_dir_times(const char *dir, const struct stat *st)
{
	journal_line("D %lld %ld %lld %ld %s\n", (long long)st->st_atim.tv_sec,
		     st->st_atim.tv_nsec, (long long)st->st_mtim.tv_sec,
		     st->st_mtim.tv_nsec, dir);
}

void repin_journal_done(void)
{
	/* all repins finished and put their directories' times back */
	if (journal_path && truncate(journal_path, 0) < 0 && errno != ENOENT)
		fprintf(stderr, "ovlmig: truncate %s: %s\n", journal_path, strerror(errno));
}

/* Only names of ours, whatever the journal says; never through a path
 * the workload changed. */
static void remove_temp(int rootfd, const char *rel)
{
	const char *name;
	int dirfd = beneath_parent(rootfd, rel, &name);

	if (dirfd < 0)
		return;
	if (!strncmp(name, REPIN_TMP_PREFIX, strlen(REPIN_TMP_PREFIX)))
		unlinkat(dirfd, name, 0);
	close(dirfd);
}

static void restore_times(int rootfd, const char *dir, const struct timespec ts[2])
{
	int fd = beneath_open(rootfd, dir, O_RDONLY | O_DIRECTORY, 0);

	if (fd < 0)
		return;
	futimens(fd, ts);	/* best effort: the directory is the workload's */
	close(fd);
}

int repin_journal(int rootfd, const char *state_dir, struct error **err)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	FILE *f;

	free(journal_path);
	journal_path = NULL;
	if (asprintf(&journal_path, "%s/repin.journal", state_dir) < 0) {
		journal_path = NULL;
		return error_set(err, ENOMEM, "repin journal");
	}
	f = fopen(journal_path, "re");
	for (int pass = 0; f && pass < 2; pass++) {
		/* pass 0 removes temporary names, pass 1 puts times back */
		rewind(f);
		while ((n = getline(&line, &cap, f)) > 0) {
			struct timespec ts[2];
			long long as, ms;
			long an, mn;
			int off = 0;

			if (line[n - 1] == '\n')
				line[n - 1] = '\0';
			if (pass == 0 && !strncmp(line, "T ", 2)) {
				remove_temp(rootfd, line + 2);
			} else if (pass == 1 && sscanf(line, "D %lld %ld %lld %ld %n",
						      &as, &an, &ms, &mn, &off) == 4 &&
				   off > 0) {
				ts[0] = (struct timespec){ (time_t)as, an };
				ts[1] = (struct timespec){ (time_t)ms, mn };
				restore_times(rootfd, line + off, ts);
			}
		}
	}
	free(line);
	if (f)
		fclose(f);
	if (truncate(journal_path, 0) < 0 && errno != ENOENT)
		return error_set(err, errno, "truncate %s", journal_path);
	return 0;
}
