build2/obj/ovlmig/job_pid.o: ovlmig/job_pid.c ovlmig/job_pid.h \
 ovlmig/../common/error.h ovlmig/../common/util.h
ovlmig/job_pid.h:
ovlmig/../common/error.h:
ovlmig/../common/util.h:
