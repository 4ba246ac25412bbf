build2/obj/ovlmig/status.o: ovlmig/status.c ovlmig/../common/fsutil.h \
 ovlmig/../common/error.h ovlmig/../common/util.h \
 ovlmig/../control/control.h ovlmig/../control/../common/error.h \
 ovlmig/lowerfs_exec.h ovlmig/state.h ovlmig/../common/error.h \
 ovlmig/phase.h ovlmig/keeper.h ovlmig/lower.h ovlmig/progress.h \
 ovlmig/status.h ovlmig/status_keys.h
ovlmig/../common/fsutil.h:
ovlmig/../common/error.h:
ovlmig/../common/util.h:
ovlmig/../control/control.h:
ovlmig/../control/../common/error.h:
ovlmig/lowerfs_exec.h:
ovlmig/state.h:
ovlmig/../common/error.h:
ovlmig/phase.h:
ovlmig/keeper.h:
ovlmig/lower.h:
ovlmig/progress.h:
ovlmig/status.h:
ovlmig/status_keys.h:
