build2/obj/ovlmig/hook.o: ovlmig/hook.c ovlmig/../common/fsutil.h \
 ovlmig/../common/error.h ovlmig/../common/log_escape.h \
 ovlmig/../common/util.h ovlmig/hook.h ovlmig/../common/error.h \
 ovlmig/hook_input.h ovlmig/job.h ovlmig/state.h ovlmig/phase.h \
 ovlmig/job_pid.h ovlmig/serve.h ovlmig/umount.h
ovlmig/../common/fsutil.h:
ovlmig/../common/error.h:
ovlmig/../common/log_escape.h:
ovlmig/../common/util.h:
ovlmig/hook.h:
ovlmig/../common/error.h:
ovlmig/hook_input.h:
ovlmig/job.h:
ovlmig/state.h:
ovlmig/phase.h:
ovlmig/job_pid.h:
ovlmig/serve.h:
ovlmig/umount.h:
