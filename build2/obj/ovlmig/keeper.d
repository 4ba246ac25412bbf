build2/obj/ovlmig/keeper.o: ovlmig/keeper.c ovlmig/keeper.h \
 ovlmig/../common/error.h ovlmig/../common/fsutil.h \
 ovlmig/../common/error.h ovlmig/../common/util.h ovlmig/lowerfs_exec.h \
 ovlmig/state.h ovlmig/phase.h ovlmig/mount_events.h
ovlmig/keeper.h:
ovlmig/../common/error.h:
ovlmig/../common/fsutil.h:
ovlmig/../common/error.h:
ovlmig/../common/util.h:
ovlmig/lowerfs_exec.h:
ovlmig/state.h:
ovlmig/phase.h:
ovlmig/mount_events.h:
