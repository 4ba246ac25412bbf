build2/obj/ovlmig/lowerfs_exec.o: ovlmig/lowerfs_exec.c \
 ovlmig/lowerfs_exec.h ovlmig/state.h ovlmig/../common/error.h \
 ovlmig/phase.h ovlmig/../common/util.h ovlmig/../control/control.h \
 ovlmig/../control/../common/error.h
ovlmig/lowerfs_exec.h:
ovlmig/state.h:
ovlmig/../common/error.h:
ovlmig/phase.h:
ovlmig/../common/util.h:
ovlmig/../control/control.h:
ovlmig/../control/../common/error.h:
