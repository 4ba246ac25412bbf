// SPDX-License-Identifier: MIT
#include "lowerfs_exec.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../common/util.h"
#include "../control/control.h"

char *lower_run_dir(const char *state_dir)
{
	return path_join(state_dir, "lowerfs");
}

/* $OVLMIG_LOWERFS, else lowerfs beside this executable, else $PATH. */
char *lowerfs_binary(void)
{
	const char *env = getenv("OVLMIG_LOWERFS");
	char self[PATH_MAX], *p;
	ssize_t n;

	if (env && *env)
		return strdup(env);
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0 && (size_t)n < sizeof(self) - 1) {
		self[n] = '\0';
		p = path_join(dirname(self), "lowerfs");
		if (p && access(p, X_OK) == 0)
			return p;
		free(p);
	}
	return strdup("lowerfs");
}

long lowerfs_read_pid(const char *run_dir)
{
	char *path = path_join(run_dir, "lowerfs.pid");
	long pid = 0;
	FILE *f;

	if (!path)
		return 0;
	f = fopen(path, "re");
	if (f) {
		if (fscanf(f, "%ld", &pid) != 1)
			pid = 0;
		fclose(f);
	}
	free(path);
	return pid;
}

char **lowerfs_argv(const struct mount_state *s, const char *bin,
		    const char *run, const char *opt, const char *value)
{
	const char *fixed[] = { bin, "--run-dir", run, "--export-support",
				opt, value, "--cache", s->cache };
	/*
	 * export support: datadir's index=on needs it of every layer;
	 * nofollow never follows an origin and runs as measured, without
	 */
	bool exports = !s->strategy || strcmp(s->strategy, "nofollow");
	size_t i, n = 0, nextra = 0;
	char **argv;

	while (s->lower_args && s->lower_args[nextra])
		nextra++;
	argv = calloc(ARRAY_SIZE(fixed) + nextra + 8, sizeof(*argv));
	if (!argv)
		return NULL;
	for (i = 0; i < ARRAY_SIZE(fixed); i++)
		if (exports || i != 3)
			argv[n++] = (char *)fixed[i];
	/* a restart goes on feeding the image store the mount uses */
	if (s->store) {
		argv[n++] = "--store-image";
		argv[n++] = s->store;
	}
	/* the image's saved tree there spares lowerfs the layer indexes */
	if (s->store_root) {
		argv[n++] = "--store-root";
		argv[n++] = s->store_root;
		/*
		 * and the overlay mounts while it loads: a container whose
		 * first reads are in the store never waits for that tree
		 */
		argv[n++] = "--load-in-background";
	}
	for (i = 0; i < nextra; i++)
		argv[n++] = s->lower_args[i];
	argv[n++] = s->source;
	argv[n++] = s->lower;
	return argv;
}

void lowerfs_feed_store(const struct mount_state *s, const char *dir)
{
	struct error *err = NULL;
	char *sdir, *run;

	if (!s->own_lower)	/* no lowerfs: a complete image's mount */
		return;
	sdir = state_dir(s->name);
	run = sdir ? lower_run_dir(sdir) : NULL;
	if (!run)
		error_set(&err, ENOMEM, "lowerfs store-image");
	else
		control_store_image(run, dir, &err);
	if (err) {
		/* not fatal: the fill fetches what lowerfs does not put there */
		error_wrap(&err, "%s: the image store will not be fed by lowerfs", s->target);
		error_report(&err, "ovlmig: warning", stderr);
	}
	free(run);
	free(sdir);
}
