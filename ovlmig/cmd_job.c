// SPDX-License-Identifier: MIT
/* ovlmig job TARGET: carry out the recorded policy (see job.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../common/util.h"
#include "commands.h"
#include "job.h"
#include "job_pid.h"
#include "state.h"

/* ovlmig job TARGET: carry out the recorded policy; resumable. */
int cmd_job(int argc, char **argv)
{
	struct error *err = NULL;
	struct mount_state s = { 0 };
	struct job j;
	char *dir = NULL, *pidfile = NULL;
	int lock = -1, code = EXIT_FAILED;

	if (argc != 2) {
		fprintf(stderr, "usage: ovlmig job TARGET\n");
		return EXIT_USAGE;
	}
	if (state_find(argv[1], &dir, &s, &err) < 0 || job_load(dir, &j, &err) < 0) {
		error_report(&err, "ovlmig job", stderr);
		state_free(&s);
		free(dir);
		return EXIT_USAGE;
	}
	pidfile = path_join(dir, "job.pid");
	/* without it poststop cannot stop a worker the hook started */
	if (job_pid_record(dir, &err) < 0)
		error_report(&err, "ovlmig job", stderr);
	printf("job for container %s on %s: migrate %s, detach %s, bandwidth %llu MB/s\n",
	       j.container, s.target, j.migrate ? "yes" : "no",
	       j.detach_auto ? "auto" : "manual", (unsigned long long)j.bandwidth_mbps);
	fflush(stdout);
	lock = state_lock(dir, &err);
	if (lock >= 0 && state_reload(dir, &s, &err) == 0 &&
	    job_run(dir, &s, &j, &err) == 0)
		code = 0;
	if (err) {
		error_wrap(&err, "job %s", s.target);
		error_report(&err, "ovlmig", stderr);
	}
	if (lock >= 0)
		close(lock);
	if (pidfile)
		unlink(pidfile);
	free(pidfile);
	job_free(&j);
	state_free(&s);
	free(dir);
	return code;
}
