build2/obj/ovlmig/mount_events.o: ovlmig/mount_events.c \
 ovlmig/mount_events.h ovlmig/../common/error.h ovlmig/state.h \
 ovlmig/phase.h ovlmig/../common/json_file.h ovlmig/../common/error.h \
 ovlmig/../common/util.h ovlmig/strategy.h ovlmig/migrate.h \
 ovlmig/overlay.h
ovlmig/mount_events.h:
ovlmig/../common/error.h:
ovlmig/state.h:
ovlmig/phase.h:
ovlmig/../common/json_file.h:
ovlmig/../common/error.h:
ovlmig/../common/util.h:
ovlmig/strategy.h:
ovlmig/migrate.h:
ovlmig/overlay.h:
