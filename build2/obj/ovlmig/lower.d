build2/obj/ovlmig/lower.o: ovlmig/lower.c ovlmig/lower.h \
 ovlmig/../common/error.h ovlmig/state.h ovlmig/phase.h \
 ovlmig/../common/util.h ovlmig/keeper.h ovlmig/lowerfs_exec.h
ovlmig/lower.h:
ovlmig/../common/error.h:
ovlmig/state.h:
ovlmig/phase.h:
ovlmig/../common/util.h:
ovlmig/keeper.h:
ovlmig/lowerfs_exec.h:
