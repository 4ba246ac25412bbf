build2/obj/ovlmig/cmd_job.o: ovlmig/cmd_job.c ovlmig/../common/util.h \
 ovlmig/commands.h ovlmig/../common/cli.h ovlmig/exit_code.h ovlmig/job.h \
 ovlmig/../common/error.h ovlmig/state.h ovlmig/phase.h ovlmig/job_pid.h
ovlmig/../common/util.h:
ovlmig/commands.h:
ovlmig/../common/cli.h:
ovlmig/exit_code.h:
ovlmig/job.h:
ovlmig/../common/error.h:
ovlmig/state.h:
ovlmig/phase.h:
ovlmig/job_pid.h:
