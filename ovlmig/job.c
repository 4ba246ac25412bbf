// SPDX-License-Identifier: MIT
#include "job.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../common/json_file.h"
#include "../common/util.h"
#include "mount_events.h"
#include "strategy.h"

int job_save(const char *dir, const struct job *j, struct error **err)
{
	char *path = path_join(dir, "job.json");
	json_t *doc = json_pack("{s:s, s:b, s:s, s:I}", "container", j->container,
				"migrate", j->migrate,
				"detach", j->detach_auto ? "auto" : "manual",
				"bandwidth", (json_int_t)j->bandwidth_mbps);
	int ret = -1;

	if (!path)
		error_set(err, ENOMEM, "job of %s", dir);
	else
		ret = json_file_replace(path, doc, JSON_COMPACT, 0, err);
	json_decref(doc);
	free(path);
	return ret;
}

int job_load(const char *dir, struct job *j, struct error **err)
{
	json_t *doc = json_file_load(dir, "job.json", JSON_OBJECT);
	const char *c, *d;

	memset(j, 0, sizeof(*j));
	if (!doc)
		return error_set(err, ENOENT, "no job for %s", dir);
	c = json_string_value(json_object_get(doc, "container"));
	d = json_string_value(json_object_get(doc, "detach"));
	j->container = strdup(c ? c : "");
	j->migrate = json_is_true(json_object_get(doc, "migrate"));
	j->detach_auto = d && !strcmp(d, "auto");
	j->bandwidth_mbps = (uint64_t)json_integer_value(json_object_get(doc, "bandwidth"));
	json_decref(doc);
	return j->container ? 0 : error_set(err, ENOMEM, "job");
}

void job_free(struct job *j)
{
	free(j->container);
	j->container = NULL;
}

static void child_exec(const char *dir, const char *target, bool detached)
{
	char *log = path_join(dir, "job.log");
	int fd;

	if (detached) {
		/* no inherited fd may keep the runtime waiting for us */
		if (setsid() < 0 || (fork() != 0))
			_exit(0);	/* the middle process: gone at once */
		close_range(3, ~0U, 0);
	} else {
		prctl(PR_SET_PDEATHSIG, SIGKILL);	/* serve owns its jobs */
	}
	fd = open("/dev/null", O_RDONLY);
	if (fd >= 0)
		dup2(fd, STDIN_FILENO);
	fd = log ? open(log, O_WRONLY | O_CREAT | O_APPEND, 0600) : -1;
	if (fd >= 0) {
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
	}
	if (fd > STDERR_FILENO)
		close(fd);
	execl("/proc/self/exe", "ovlmig", "job", target, (char *)NULL);
	_exit(127);
}

pid_t job_spawn(const char *dir, const char *target, bool detached,
		struct error **err)
{
	pid_t pid = fork();

	if (pid < 0)
		return error_set(err, errno, "start job for %s", target);
	if (pid == 0)
		child_exec(dir, target, detached);
	if (detached)	/* reap the middle process; the worker is orphaned */
		waitpid(pid, NULL, 0);
	return pid;
}

int job_run(const char *dir, struct mount_state *s, const struct job *j,
	    struct error **err)
{
	struct migrate_opts o = { .bandwidth_bps = j->bandwidth_mbps * 1000000ull };
	const struct strategy *st = strategy_of(s, err);

	if (!st)
		return -1;
	if (j->migrate && s->phase != PHASE_MIGRATED &&
	    s->phase != PHASE_DETACHED && st->migrate(dir, s, &o, err) < 0)
		return -1;
	if (j->migrate && j->detach_auto && events_detach(st, dir, s, false, err) < 0)
		return -1;
	return 0;
}
