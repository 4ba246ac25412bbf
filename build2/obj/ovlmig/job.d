build2/obj/ovlmig/job.o: ovlmig/job.c ovlmig/job.h \
 ovlmig/../common/error.h ovlmig/state.h ovlmig/phase.h \
 ovlmig/../common/json_file.h ovlmig/../common/error.h \
 ovlmig/../common/util.h ovlmig/mount_events.h ovlmig/strategy.h \
 ovlmig/migrate.h ovlmig/overlay.h
ovlmig/job.h:
ovlmig/../common/error.h:
ovlmig/state.h:
ovlmig/phase.h:
ovlmig/../common/json_file.h:
ovlmig/../common/error.h:
ovlmig/../common/util.h:
ovlmig/mount_events.h:
ovlmig/strategy.h:
ovlmig/migrate.h:
ovlmig/overlay.h:
